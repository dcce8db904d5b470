//! Parsing of argument values: numbers, points and moments.

use anyhow::{bail, Result};

/// Parses `count` comma-separated finite numbers given to `flag` ("X,Y,W,H").
pub fn parse_numbers(flag: &str, s: &str, counts: &[usize]) -> Result<Vec<f32>> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let form = match counts {
        [2, 4] => "X,Y or X,Y,W,H",
        [2] if flag == "--size" => "W,H",
        [2] => "X,Y",
        _ => "X,Y,W,H",
    };
    if !counts.contains(&parts.len()) {
        bail!("{flag} {s:?} is not of the form {form}");
    }
    parts
        .iter()
        .map(|v| match v.parse::<f32>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => bail!("{flag} {s:?}: {v:?} is not a number"),
        })
        .collect()
}

/// Parses a moment given as RFC 3339 (`2026-12-05T10:00:00Z`, any offset) or as
/// milliseconds since the Unix epoch, into milliseconds.
pub fn parse_time(flag: &str, s: &str) -> Result<u64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<u64>()
            .map_err(|_| anyhow::anyhow!("{flag} {s:?}: too many milliseconds"));
    }
    let when = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            anyhow::anyhow!(
                "{flag} {s:?} is neither RFC 3339 (like 2026-12-05T10:00:00Z) nor milliseconds since the epoch: {e}"
            )
        })?;
    let ms = when.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(ms).map_err(|_| anyhow::anyhow!("{flag} {s:?} is before 1970"))
}

/// Parses "x,y x,y …".
pub fn parse_points(s: &str) -> Result<Vec<(f32, f32)>> {
    let mut out = Vec::new();
    for (i, pair) in s.split_whitespace().enumerate() {
        let Some((x, y)) = pair.split_once(',') else {
            bail!("point {} ({pair:?}) is not of the form x,y", i + 1);
        };
        let parse = |v: &str| -> Result<f32> {
            match v.trim().parse::<f32>() {
                Ok(f) if f.is_finite() => Ok(f),
                _ => bail!("point {} ({pair:?}): {v:?} is not a number", i + 1),
            }
        };
        out.push((parse(x)?, parse(y)?));
    }
    if out.is_empty() {
        bail!("--points is empty: give at least one point as \"x,y\"");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("--at", "1764900000000").unwrap(), 1_764_900_000_000);
        assert_eq!(parse_time("--at", "1970-01-01T00:00:01Z").unwrap(), 1000);
        assert_eq!(parse_time("--at", "1970-01-01T01:00:01.5+01:00").unwrap(), 1500);
        let e = parse_time("--as-of", "yesterday").unwrap_err().to_string();
        assert!(e.contains("--as-of \"yesterday\" is neither RFC 3339"), "{e}");
        assert!(parse_time("--at", "1969-12-31T23:59:59Z").is_err());
    }

    #[test]
    fn points() {
        assert_eq!(
            parse_points("1,2  3.5,-4").unwrap(),
            vec![(1.0, 2.0), (3.5, -4.0)]
        );
        assert!(parse_points("1;2").is_err());
        assert!(parse_points("1,nan").is_err());
        assert!(parse_points("").is_err());
    }

    #[test]
    fn rectangles() {
        assert_eq!(
            parse_numbers("--at", "1, -2.5", &[2, 4]).unwrap(),
            vec![1.0, -2.5]
        );
        assert_eq!(
            parse_numbers("--to", "0,0,640,480", &[4]).unwrap(),
            vec![0.0, 0.0, 640.0, 480.0]
        );
        let e = parse_numbers("--at", "1,2,3", &[2, 4]).unwrap_err().to_string();
        assert!(e.contains("X,Y or X,Y,W,H"), "{e}");
        let e = parse_numbers("--to", "1,2", &[4]).unwrap_err().to_string();
        assert!(e.contains("X,Y,W,H"), "{e}");
        let e = parse_numbers("--to", "1,2,inf,4", &[4]).unwrap_err().to_string();
        assert!(e.contains("\"inf\" is not a number"), "{e}");
    }
}
