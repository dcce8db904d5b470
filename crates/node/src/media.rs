//! What a file is and how it is previewed: its media type from its name, and for pictures a
//! small JPEG preview made here, by the sender, with bounded decoding (a picture whose size
//! or memory would pass the limits is refused before it is decoded).

use std::io::Cursor;
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
    let reader = ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| NodeError::io(path, e))?;
    if reader.format().is_none() {
        return Ok(None);
    }
    let mut r = reader;
    r.limits(limits());
    let (w, h) = {
        let probe = ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(|e| NodeError::io(path, e))?;
        match probe.into_dimensions() {
            Ok(d) => d,
            Err(_) => return Ok(None),
        }
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
