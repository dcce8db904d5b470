//! The person's account in the app: an encrypted backup saved where the person chooses, their
//! devices (listed, revoked), and linking a new one by ticket and QR code. Thin like
//! `commands.rs`: the node does the work and refuses by name what this device cannot do.

use confab_core::backup::{BackupError, MIN_PASSPHRASE};
use confab_node::view::{BackupView, DeviceRevokedView, DeviceView, LinkTicketView};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::app::AppState;
use crate::commands::qr_svg;
use crate::error::UiError;

type Res<T> = Result<T, UiError>;

/// Checks a new backup's passphrase before anything is asked or written: typed twice the same,
/// and long enough (the engine's own rule and words).
pub fn check_new_passphrase(passphrase: &str, again: &str) -> Res<()> {
    if passphrase != again {
        return Err(UiError::invalid(
            "the two passphrases differ; nothing was written",
        ));
    }
    let n = passphrase.chars().count();
    if n < MIN_PASSPHRASE {
        return Err(UiError::invalid(BackupError::WeakPassphrase(n).to_string()));
    }
    Ok(())
}

/// The name the save dialog offers for a backup made at `ms` (UTC date).
pub fn backup_file_name(ms: u64) -> String {
    let (y, m, d) = civil_date(ms / 86_400_000);
    format!("confab-backup-{y:04}-{m:02}-{d:02}.confab")
}

/// The calendar date of a day counted from 1970-01-01 (proleptic Gregorian).
fn civil_date(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Writes an encrypted backup of this person (the account secret, every space with its keys,
/// the profile and settings; the records too with `with_records`) to a file chosen in the
/// native save dialog. The passphrase is checked first, and a device without the account
/// secret is told so before any dialog. Null when the dialog is cancelled.
#[tauri::command]
pub async fn backup_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    passphrase: String,
    again: String,
    with_records: bool,
) -> Res<Option<BackupView>> {
    check_new_passphrase(&passphrase, &again)?;
    let me = state.client.id().await?;
    if !me.holds_account {
        return Err(UiError::new(
            "refused",
            format!(
                "this device does not hold the secret of the account {}: make the backup on the device that does",
                me.account
            ),
        ));
    }
    let dialog = app
        .dialog()
        .file()
        .set_title("Save backup")
        .set_file_name(backup_file_name(confab_core::now_ms()));
    let Some(chosen) = crate::welcome::ask_save(&app, dialog).await else {
        return Ok(None);
    };
    let path = crate::welcome::chosen_file(chosen)?;
    Ok(Some(
        state
            .client
            .backup_create(&path, &passphrase, with_records)
            .await?,
    ))
}

/// This person's devices: the account's own key, this device, the linked ones (revoked ones
/// marked).
#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> Res<Vec<DeviceView>> {
    Ok(state.client.devices().await?)
}

/// Revokes one of this person's devices: what it signs from now on is refused, and the spaces
/// this person owns get a key it does not have.
#[tauri::command]
pub async fn device_revoke(state: State<'_, AppState>, device: String) -> Res<DeviceRevokedView> {
    Ok(state.client.revoke_device(&device).await?)
}

/// A link ticket, and the same as a QR code (SVG) for the phone's camera.
#[derive(Debug, Serialize)]
pub struct LinkTicketWithQr {
    #[serde(flatten)]
    ticket: LinkTicketView,
    qr_svg: String,
}

/// Makes a one-time link ticket (ten minutes) for a new device of this person.
#[tauri::command]
pub async fn link_ticket(state: State<'_, AppState>) -> Res<LinkTicketWithQr> {
    let ticket = state.client.link_ticket(None).await?;
    let qr_svg = qr_svg(&ticket.ticket)?;
    Ok(LinkTicketWithQr { ticket, qr_svg })
}

/// Approves the new device that asked with the ticket of `code`.
#[tauri::command]
pub async fn device_approve(state: State<'_, AppState>, code: String) -> Res<DeviceView> {
    Ok(state.client.approve_device(&code).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_passphrase_is_typed_twice_and_long_enough() {
        let e = check_new_passphrase("harbour lights", "harbour light").unwrap_err();
        assert!(e.message.contains("differ"), "{e}");
        let e = check_new_passphrase("short", "short").unwrap_err();
        assert_eq!(e.message, "the passphrase is 5 characters; use at least 8");
        // Characters, not bytes.
        assert!(check_new_passphrase("ééééééé", "ééééééé").is_err());
        check_new_passphrase("éééééééé", "éééééééé").unwrap();
    }

    #[test]
    fn the_offered_name_carries_the_date() {
        assert_eq!(backup_file_name(0), "confab-backup-1970-01-01.confab");
        // 2026-12-05 12:00 UTC.
        assert_eq!(
            backup_file_name(1_796_472_000_000),
            "confab-backup-2026-12-05.confab"
        );
        // 2024-02-29 (a leap day) and 2000-03-01.
        assert_eq!(
            backup_file_name(1_709_164_800_000),
            "confab-backup-2024-02-29.confab"
        );
        assert_eq!(
            backup_file_name(951_868_800_000),
            "confab-backup-2000-03-01.confab"
        );
    }
}
