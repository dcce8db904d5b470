//! Colours of strokes: three bytes on the wire, `#rrggbb` for people.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An RGB colour. On the wire it is its three bytes (a newtype encodes as its content), so
/// records written before this type existed decode unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Color(pub [u8; 3]);

/// Why a text is not a colour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("colour {0:?} is not of the form #rrggbb")]
pub struct ColorError(pub String);

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl FromStr for Color {
    type Err = ColorError;
    /// `#rrggbb` (the `#` optional, either case, surrounding space ignored).
    fn from_str(s: &str) -> Result<Self, ColorError> {
        let t = s.trim();
        let hex = t.strip_prefix('#').unwrap_or(t);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ColorError(s.to_string()));
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked hex digits");
        Ok(Color([byte(0), byte(2), byte(4)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_wire_form() {
        let c: Color = "#ff8000".parse().unwrap();
        assert_eq!(c, Color([255, 128, 0]));
        assert_eq!(c.to_string(), "#ff8000");
        assert_eq!(" FF8000 ".parse::<Color>().unwrap(), c);
        for bad in ["red", "#ff80", "#gg0000", "", "#ff80000"] {
            let e = bad.parse::<Color>().unwrap_err();
            assert!(e.to_string().contains("#rrggbb"), "{e}");
        }
        // Three bytes on the wire, exactly as the plain array was.
        assert_eq!(
            postcard::to_allocvec(&c).unwrap(),
            postcard::to_allocvec(&[255u8, 128, 0]).unwrap()
        );
    }
}
