//! What a file is and how it is previewed: its media type from its name, and for pictures a
//! small JPEG preview made here, by the sender, with bounded decoding (a picture whose size
//! or memory would pass the limits is refused before it is decoded).

use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

use confab_core::body::MAX_THUMB_BYTES;
use confab_core::Thumb;
use image::{ImageReader, Limits};

use crate::NodeError;

/// Widest or tallest picture decoded for a preview.
pub const MAX_PIXELS_SIDE: u32 = 16_384;
/// Most memory a picture's decoding may take.
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
/// A preview's longest side.
pub const THUMB_SIDE: u32 = 320;

/// The media type a file's name suggests.
pub fn mime_of(name: &str) -> String {
    mime_guess::from_path(name)
        .first()
        .map(|m| m.essence_str().to_string())
        .unwrap_or_else(|| "application/octet-stream".into())
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_PIXELS_SIDE);
    l.max_image_height = Some(MAX_PIXELS_SIDE);
    l.max_alloc = Some(MAX_DECODE_BYTES);
    l
}

/// A preview of a picture file, or `None` if it is not a picture this build decodes. A
/// picture over the limits is refused by name.
pub fn thumbnail(path: &Path, name: &str) -> Result<Option<Thumb>, NodeError> {
    let open = || {
        ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(|e| NodeError::io(path, e))
    };
    preview(open()?, open()?, name)
}

/// [`thumbnail`] of a picture in memory (pasted or dropped as bytes).
pub fn thumbnail_of_bytes(bytes: &[u8], name: &str) -> Result<Option<Thumb>, NodeError> {
    let open = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| NodeError::Invalid(format!("reading the picture {name:?}: {e}")))
    };
    preview(open()?, open()?, name)
}

/// The preview of the picture `reader` reads (`probe` reads the same, for its size first).
fn preview<R: BufRead + Seek>(
    reader: ImageReader<R>,
    probe: ImageReader<R>,
    name: &str,
) -> Result<Option<Thumb>, NodeError> {
    if reader.format().is_none() {
        return Ok(None);
    }
    let mut r = reader;
    r.limits(limits());
    let (w, h) = match probe.into_dimensions() {
        Ok(d) => d,
        Err(_) => return Ok(None),
    };
    if w > MAX_PIXELS_SIDE || h > MAX_PIXELS_SIDE {
        return Err(NodeError::Invalid(format!(
            "the picture {name:?} is {w}×{h} pixels; at most {MAX_PIXELS_SIDE}×{MAX_PIXELS_SIDE} are decoded"
        )));
    }
    let img = match r.decode() {
        Ok(i) => i,
        Err(image::ImageError::Limits(e)) => {
            return Err(NodeError::Invalid(format!(
                "the picture {name:?} ({w}×{h}) would take more than {} MiB to decode: {e}",
                MAX_DECODE_BYTES >> 20
            )))
        }
        // Damaged or of a kind this build cannot decode: sent as a file, without preview.
        Err(_) => return Ok(None),
    };
    let mut side = THUMB_SIDE;
    loop {
        let small = img.thumbnail(side, side).to_rgb8();
        let mut out = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), 75);
        small
            .write_with_encoder(enc)
            .map_err(|e| NodeError::Invalid(format!("making a preview of {name:?}: {e}")))?;
        if out.len() <= MAX_THUMB_BYTES || side <= 64 {
            return Ok(Some(Thumb {
                width: w,
                height: h,
                bytes: out,
            }));
        }
        side /= 2;
    }
}

/// A profile picture's side, in pixels.
pub const PICTURE_SIDE: u32 = 256;
/// Its preview's side (carried in the profile record).
pub const PICTURE_THUMB_SIDE: u32 = 64;

/// A profile picture made from any picture: the middle square, [`PICTURE_SIDE`] pixels a
/// side, as JPEG; and its [`PICTURE_THUMB_SIDE`] preview. Decoding is bounded as for
/// previews; what is not a picture is refused by name.
pub fn profile_picture(bytes: &[u8], name: &str) -> Result<(Vec<u8>, Thumb), NodeError> {
    let not = || NodeError::Invalid(format!("{name:?} is not a picture (PNG, JPEG, GIF or WebP)"));
    let open = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| NodeError::Invalid(format!("reading the picture {name:?}: {e}")))
    };
    let (w, h) = open()?.into_dimensions().map_err(|_| not())?;
    if w > MAX_PIXELS_SIDE || h > MAX_PIXELS_SIDE {
        return Err(NodeError::Invalid(format!(
            "the picture {name:?} is {w}×{h} pixels; at most {MAX_PIXELS_SIDE}×{MAX_PIXELS_SIDE} are decoded"
        )));
    }
    let mut r = open()?;
    r.limits(limits());
    let img = r.decode().map_err(|e| match e {
        image::ImageError::Limits(e) => NodeError::Invalid(format!(
            "the picture {name:?} ({w}×{h}) would take more than {} MiB to decode: {e}",
            MAX_DECODE_BYTES >> 20
        )),
        _ => not(),
    })?;
    let side = w.min(h);
    let square = img.crop_imm((w - side) / 2, (h - side) / 2, side, side);
    let jpeg = |px: u32, quality: u8| -> Result<Vec<u8>, NodeError> {
        let small = square
            .resize_exact(
                px.min(side).max(1),
                px.min(side).max(1),
                image::imageops::FilterType::Triangle,
            )
            .to_rgb8();
        let mut out = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), quality);
        small
            .write_with_encoder(enc)
            .map_err(|e| NodeError::Invalid(format!("making a profile picture of {name:?}: {e}")))?;
        Ok(out)
    };
    let big = jpeg(PICTURE_SIDE, 85)?;
    let small = jpeg(PICTURE_THUMB_SIDE, 75)?;
    let s = PICTURE_SIDE.min(side);
    Ok((
        big,
        Thumb {
            width: s,
            height: s,
            bytes: small,
        },
    ))
}
