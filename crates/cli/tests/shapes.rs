//! Shapes on a whiteboard by command: `board add`, `move`, `set`, `delete`, `restore` and
//! `objects [--as-of]` with the JSON fields the README names, TIME as RFC 3339 or
//! milliseconds, and refusals on stderr with nothing written.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

#[path = "support/cli.rs"]
mod support_cli;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

fn confab(dir: &Path, args: &[&str]) -> Output {
    support_cli::run(BIN, dir, args)
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = confab(dir, &all);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} printed non-JSON ({e})"))
}

fn fails(dir: &Path, args: &[&str], needle: &str) {
    let out = confab(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout on failure");
    assert!(err.contains(needle), "{args:?}: stderr {err:?} lacks {needle:?}");
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn objects(dir: &Path, board: &str, more: &[&str]) -> Vec<Value> {
    let mut args = vec!["board", "objects", board];
    args.extend_from_slice(more);
    ok_json(dir, &args).as_array().unwrap().clone()
}

fn by_id<'a>(all: &'a [Value], id: &str) -> &'a Value {
    all.iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {all:?}"))
}

#[test]
fn shapes_are_added_moved_changed_deleted_restored_and_listed_as_of_a_time() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let board = ok_json(&a, &["space", "create", "board", "plans"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    let b = board.as_str();

    let rect = id(&ok_json(
        &a,
        &[
            "board", "add", b, "--kind", "rect", "--at", "10,20", "--size", "100,50", "--color", "#112233",
        ],
    ));
    let note = id(&ok_json(
        &a,
        &[
            "board", "add", b, "--kind", "note", "--at", "-200,0", "--text", "buy milk",
        ],
    ));
    let arrow = id(&ok_json(
        &a,
        &[
            "board", "add", b, "--kind", "arrow", "--at", "0,0", "--size", "50,-30",
        ],
    ));
    let text = id(&ok_json(
        &a,
        &[
            "board", "add", b, "--kind", "text", "--at", "0,100", "--text", "Plans",
        ],
    ));
    let ellipse = id(&ok_json(
        &a,
        &[
            "board", "add", b, "--kind", "ellipse", "--at", "300,300", "--fill", "#abcdef",
        ],
    ));
    let all = objects(&a, b, &[]);
    assert_eq!(all.len(), 5);
    let r = by_id(&all, &rect);
    for key in [
        "id", "kind", "x", "y", "w", "h", "text", "color", "fill", "z", "author", "account", "ts",
    ] {
        assert!(r.get(key).is_some(), "{key} missing from {r}");
    }
    assert_eq!(r["kind"], "rect");
    assert_eq!((r["x"].as_f64(), r["y"].as_f64()), (Some(10.0), Some(20.0)));
    assert_eq!((r["w"].as_f64(), r["h"].as_f64()), (Some(100.0), Some(50.0)));
    assert_eq!((&r["color"], &r["fill"]), (&Value::from("#112233"), &Value::Null));
    assert!(r["author"].as_str().unwrap().starts_with("12D3KooW"));
    let n = by_id(&all, &note);
    assert_eq!(
        (&n["kind"], &n["text"], &n["fill"]),
        (&"note".into(), &"buy milk".into(), &"#fff176".into())
    );
    assert_eq!(by_id(&all, &arrow)["h"].as_f64(), Some(-30.0));
    assert_eq!(by_id(&all, &ellipse)["fill"], "#abcdef");
    let before = all
        .iter()
        .map(|o| o["updated_ms"].as_u64().unwrap())
        .max()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));

    // Moved (by prefix), moved and resized, changed, restacked.
    ok_json(&a, &["board", "move", b, &rect[..10], "--to", "-5,6"]);
    ok_json(&a, &["board", "move", b, &note, "--to", "1,2,150,150"]);
    ok_json(
        &a,
        &[
            "board",
            "set",
            b,
            &note,
            "--text",
            "buy oat milk",
            "--fill",
            "#ffcc80",
        ],
    );
    ok_json(
        &a,
        &[
            "board", "set", b, &rect, "--z", "front", "--color", "#ff0000", "--fill", "none",
        ],
    );
    ok_json(&a, &["board", "set", b, &ellipse, "--z", "back"]);
    let all = objects(&a, b, &[]);
    let r = by_id(&all, &rect);
    assert_eq!(
        (r["x"].as_f64(), r["y"].as_f64(), r["w"].as_f64()),
        (Some(-5.0), Some(6.0), Some(100.0))
    );
    assert_eq!(r["color"], "#ff0000");
    assert_eq!(all.last().unwrap()["id"], rect, "in front");
    assert_eq!(all.first().unwrap()["id"], ellipse, "at the back");
    let n = by_id(&all, &note);
    assert_eq!(
        (&n["text"], &n["fill"], n["w"].as_f64()),
        (&"buy oat milk".into(), &"#ffcc80".into(), Some(150.0))
    );

    // Deleted: gone from the listing, listed with --deleted, back on restore.
    let del = ok_json(&a, &["board", "delete", b, &text, &arrow[..12]]);
    assert_eq!(del["written"], 2);
    assert_eq!(objects(&a, b, &[]).len(), 3);
    let with = objects(&a, b, &["--deleted"]);
    assert_eq!(with.len(), 5);
    assert_eq!(by_id(&with, &text)["deleted"], true);
    fails(
        &a,
        &["board", "move", b, &text, "--to", "0,0"],
        "is deleted; restore it first",
    );
    ok_json(&a, &["board", "restore", b, &text]);
    assert_eq!(objects(&a, b, &[]).len(), 4);

    // As it was before the changes, by milliseconds and by RFC 3339.
    let then = objects(&a, b, &["--as-of", &before.to_string()]);
    assert_eq!(then.len(), 5);
    assert_eq!(by_id(&then, &rect)["x"].as_f64(), Some(10.0));
    assert_eq!(by_id(&then, &note)["text"], "buy milk");
    assert!(objects(&a, b, &["--as-of", "2000-01-01T00:00:00Z"]).is_empty());
    assert_eq!(objects(&a, b, &["--as-of", "2100-01-01T00:00:00+02:00"]).len(), 4);
    // Restored as it was then.
    ok_json(
        &a,
        &["board", "restore", b, &rect, "--as-of", &before.to_string()],
    );
    let r = by_id(&objects(&a, b, &[]), &rect).clone();
    assert_eq!(
        (r["x"].as_f64(), r["color"].as_str()),
        (Some(10.0), Some("#112233"))
    );

    // Refusals by name, nothing written.
    let count = objects(&a, b, &["--deleted"]).len();
    fails(
        &a,
        &["board", "add", b, "--kind", "star", "--at", "0,0"],
        "unknown shape \"star\"",
    );
    fails(&a, &["board", "add", b, "--kind", "rect", "--at", "0"], "X,Y");
    fails(
        &a,
        &[
            "board", "add", b, "--kind", "rect", "--at", "0,0", "--size", "0,5",
        ],
        "not above 0",
    );
    fails(
        &a,
        &[
            "board", "add", b, "--kind", "rect", "--at", "0,0", "--color", "red",
        ],
        "#rrggbb",
    );
    fails(&a, &["board", "set", b, &rect], "nothing to change");
    fails(
        &a,
        &["board", "set", b, &rect, "--z", "up"],
        "expected front or back",
    );
    fails(
        &a,
        &["board", "set", b, &rect, "--width", "900"],
        "line width 900",
    );
    fails(&a, &["board", "set", b, &rect, "--size", "-1,5"], "not above 0");
    fails(&a, &["board", "restore", b, &rect], "is not deleted");
    fails(
        &a,
        &["board", "objects", b, "--as-of", "last week"],
        "neither RFC 3339",
    );
    fails(&a, &["board", "delete", b, "beef"], "no object");
    let room = ok_json(&a, &["space", "create", "chat", "room"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    fails(
        &a,
        &["board", "add", &room, "--kind", "rect", "--at", "0,0"],
        "whiteboards",
    );
    assert_eq!(objects(&a, b, &["--deleted"]).len(), count);

    // `board list --json` is unchanged: strokes only, with their points.
    ok_json(&a, &["board", "stroke", b, "--points", "0,0 10,10"]);
    let strokes = ok_json(&a, &["board", "list", b]);
    assert_eq!(strokes.as_array().unwrap().len(), 1);
    assert!(strokes[0]["points"].is_array());
}
