//! Dispute attachments: what a file *is* is read from its first bytes, never
//! from its name or the browser's content type. Only PDF and common image
//! formats are kept; an executable renamed `facture.pdf` is refused. Files are
//! stored outside the web root under their SHA-256 and served only through a
//! route that checks the caller's scope.

/// Largest attachment accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Attachments per message.
pub const MAX_PER_MESSAGE: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    Webp,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Png => "png",
            Kind::Jpeg => "jpg",
            Kind::Webp => "webp",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLarge,
    /// Not a PDF nor an image we keep, whatever its name says.
    UnsupportedType,
}

/// The kind of a file from its content.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else {
        None
    }
}

/// Checks an upload: size, then content.
pub fn check(bytes: &[u8]) -> Result<Kind, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(Refusal::TooLarge);
    }
    sniff(bytes).ok_or(Refusal::UnsupportedType)
}

/// A file name safe to show and to put in a download header: the base name,
/// printable characters only, at most 100 of them, with the extension of
/// the sniffed kind (the name's own extension is not trusted).
pub fn display_name(name: &str, kind: Kind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let clean: String =
        stem.chars().filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')).take(100).collect();
    let clean = clean.trim().trim_matches('.');
    let stem = if clean.is_empty() { "piece-jointe" } else { clean };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(check(b"%PDF-1.7\n..."), Ok(Kind::Pdf));
        assert_eq!(check(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(Kind::Png));
        assert_eq!(check(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Ok(Kind::Jpeg));
        assert_eq!(check(b"RIFF\x24\0\0\0WEBPVP8 "), Ok(Kind::Webp));
        // A Windows executable, an ELF binary, a script, HTML: refused
        // whatever they are called.
        assert_eq!(check(b"MZ\x90\0\x03\0\0\0"), Err(Refusal::UnsupportedType));
        assert_eq!(check(b"\x7fELF\x02\x01\x01"), Err(Refusal::UnsupportedType));
        assert_eq!(check(b"#!/bin/sh\nrm -rf /"), Err(Refusal::UnsupportedType));
        assert_eq!(check(b"<html><script>alert(1)</script>"), Err(Refusal::UnsupportedType));
        assert_eq!(check(b" %PDF-1.7"), Err(Refusal::UnsupportedType), "the signature must come first");
        assert_eq!(check(b""), Err(Refusal::Empty));
    }

    #[test]
    fn size_is_limited() {
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(MAX_BYTES, b' ');
        assert_eq!(check(&big), Ok(Kind::Pdf));
        big.push(b' ');
        assert_eq!(check(&big), Err(Refusal::TooLarge));
    }

    #[test]
    fn names_are_cleaned_and_take_the_sniffed_extension() {
        assert_eq!(display_name("../../etc/passwd", Kind::Pdf), "passwd.pdf");
        assert_eq!(display_name("C:\\Users\\me\\Bon de livraison.exe", Kind::Png), "Bon de livraison.png");
        assert_eq!(display_name("facture.pdf", Kind::Pdf), "facture.pdf");
        assert_eq!(display_name("\"><img src=x>.pdf", Kind::Pdf), "img srcx.pdf");
        assert_eq!(display_name("", Kind::Jpeg), "piece-jointe.jpg");
        assert_eq!(display_name("....", Kind::Pdf), "piece-jointe.pdf");
    }
}
