use super::*;

/// CRC-32 (IEEE) for patching PNG chunks in tests.
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A valid 1×1 PNG whose header claims `w`×`h` (a decompression-bomb-shaped header).
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::new(1, 1);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    let mut b = out.into_inner();
    // IHDR data starts at 16 (8 signature + 4 length + 4 type), 13 bytes, CRC after.
    b[16..20].copy_from_slice(&w.to_be_bytes());
    b[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

#[test]
fn only_https_allow_listed_urls() {
    assert!(check_url("https://images-ssl.gotinder.com/u/1.jpg").is_ok());
    assert!(check_url("https://images-ssl.gotinder.com:443/u/1.jpg").is_ok());
    assert!(check_url("https://IMAGES-SSL.gotinder.com./u/1.jpg").is_ok());
    assert!(check_url("https://images.gotinder.com/u/1.jpg").is_ok());
    assert!(check_url("https://preview.gotinder.com/u/1.jpg").is_ok());
    // Exact names only: no other gotinder.com subdomain, whatever it is called; IP literals
    // are refused as such, even ones the URL parser had to normalise.
    for (bad, why) in [
        ("https://cdn2.gotinder.com/u/1.jpg", "allow-list"),
        (
            "https://static-assets.gotinder.com/icons/1.png",
            "allow-list",
        ),
        ("https://x.images-ssl.gotinder.com/u/1.jpg", "allow-list"),
        (
            "https://images-ssl.gotinder.com.evil.example/u/1.jpg",
            "allow-list",
        ),
        ("https://127.0.0.1/u/1.jpg", "IP literal"),
        ("https://[::1]/u/1.jpg", "IP literal"),
        ("https://[::ffff:127.0.0.1]/u/1.jpg", "IP literal"),
        ("https://2130706433/u/1.jpg", "IP literal"),
        ("https://0x7f.1/u/1.jpg", "IP literal"),
        ("https://169.254.169.254/latest/meta-data/", "IP literal"),
    ] {
        match check_url(bad) {
            Err(FetchError::UrlRefused(m)) => assert!(m.contains(why), "{bad}: {m}"),
            other => panic!("{bad} must be refused, got {other:?}"),
        }
    }
    for bad in [
        "http://images-ssl.gotinder.com/u/1.jpg",
        "https://evil.example.com/1.jpg",
        "https://gotinder.com.evil.example/1.jpg",
        "https://evilgotinder.com/1.jpg",
        "https://api.gotinder.com/v2/profile",
        "https://API.gotinder.com/v2/recs/core",
        "https://api-prod.gotinder.com/v2/matches",
        "https://gotinder.com/1.jpg",
        "file:///etc/passwd",
        "https://user:pw@images-ssl.gotinder.com/1.jpg",
        "not a url",
    ] {
        assert!(
            matches!(check_url(bad), Err(FetchError::UrlRefused(_))),
            "{bad} must be refused"
        );
    }
}

#[test]
fn test_resolution_accepts_only_loopback() {
    let r = parse_resolve("images-ssl.gotinder.com=127.0.0.1:8443, API.gotinder.com=[::1]:9000")
        .expect("ok");
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].0, "images-ssl.gotinder.com");
    assert_eq!(r[1].0, "api.gotinder.com");
    assert_eq!(r[0].1.port(), 8443);
    assert!(parse_resolve("images-ssl.gotinder.com=10.0.0.1:443").is_err());
    assert!(parse_resolve("images-ssl.gotinder.com").is_err());
    assert!(parse_resolve("images-ssl.gotinder.com=localhost").is_err());
}

#[test]
fn image_headers_are_checked_before_decoding() {
    let img = image::RgbImage::new(20, 10);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    let jpeg = out.into_inner();
    assert_eq!(
        check_image(&jpeg).expect("ok"),
        ImageInfo {
            width: 20,
            height: 10,
            ext: "jpg"
        }
    );
    assert!(matches!(
        check_image_with(&jpeg, 16, 1000),
        Err(FetchError::TooManyPixels {
            width: 20,
            height: 10
        })
    ));
    assert!(matches!(
        check_image_with(&jpeg, 100, 150),
        Err(FetchError::TooManyPixels { .. })
    ));
    let bomb = png_claiming(60_000, 60_000);
    assert!(matches!(
        check_image(&bomb),
        Err(FetchError::TooManyPixels {
            width: 60_000,
            height: 60_000
        })
    ));
    let ok_png = png_claiming(1, 1);
    assert_eq!(check_image(&ok_png).expect("png").ext, "png");
    assert!(matches!(
        check_image(b"<html>nope</html>"),
        Err(FetchError::NotAnImage)
    ));
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert!(matches!(check_image(gif), Err(FetchError::NotAnImage)));
}

#[test]
fn retry_policy() {
    assert!(FetchError::Status(503).retryable());
    assert!(FetchError::Status(429).retryable());
    assert!(FetchError::Timeout.retryable());
    assert!(
        !FetchError::Status(403).retryable(),
        "an expired signature stays expired"
    );
    assert!(!FetchError::Status(404).retryable());
    assert!(!FetchError::TooLarge { max: 1 }.retryable());
}
