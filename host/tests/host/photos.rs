//! The photo fetcher against a loopback HTTPS server posing as Tinder's CDN.

use std::sync::Arc;
use std::time::Duration;

use swipy_host::fetch::{download, FetchConfig, FetchError};

use crate::common::{jpeg_for, Cdn, Host, Reply};

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

/// A 1×1 PNG whose header claims a huge size.
fn bomb_png() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::GrayImage::new(1, 1)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    let mut b = out.into_inner();
    b[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    b[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

fn cdn() -> Cdn {
    Cdn::start(Arc::new(|path: &str, hit: u32| match path {
        "/forbidden.jpg" => Reply::new(403, b"expired".to_vec()),
        "/flaky.jpg" if hit == 1 => Reply::new(503, Vec::new()),
        "/always503.jpg" => Reply::new(503, Vec::new()),
        "/huge.jpg" => Reply::new(200, vec![0xff; 9 * 1024 * 1024]),
        "/huge-unannounced.jpg" => Reply {
            no_length: true,
            ..Reply::new(200, vec![0xff; 9 * 1024 * 1024])
        },
        "/bomb.png" => Reply::new(200, bomb_png()),
        "/page.html" => Reply::new(200, b"<html>not an image</html>".to_vec()),
        "/redirect-out.jpg" => Reply {
            headers: vec![("Location".into(), "https://evil.example.com/x.jpg".into())],
            ..Reply::new(302, Vec::new())
        },
        "/redirect-plain.jpg" => Reply {
            headers: vec![(
                "Location".into(),
                "http://images-ssl.gotinder.com/ok.jpg".into(),
            )],
            ..Reply::new(302, Vec::new())
        },
        "/redirect-in.jpg" => Reply {
            headers: vec![(
                "Location".into(),
                "https://images.gotinder.com/moved.jpg".into(),
            )],
            ..Reply::new(302, Vec::new())
        },
        p => Reply::new(200, jpeg_for(p, 64, 80)),
    }))
}

fn config(cdn: &Cdn) -> FetchConfig {
    FetchConfig {
        resolve: swipy_host::fetch::parse_resolve(&cdn.resolve_spec()).expect("resolve"),
        extra_ca_pem: Some(cdn.ca_pem.clone().into_bytes()),
        backoff_base: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    }
}

#[test]
fn fetcher_rules_against_a_loopback_cdn() {
    let cdn = cdn();
    let cfg = config(&cdn);
    let client = swipy_host::fetch::build_client(&cfg).expect("client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let get = |path: &str| {
        rt.block_on(download(
            &client,
            &cfg,
            &format!("https://images-ssl.gotinder.com{path}"),
        ))
    };

    let ok = get("/u1/640x800_a.jpg").expect("plain download");
    assert_eq!(ok, jpeg_for("/u1/640x800_a.jpg", 64, 80));

    // 503 once, then fine: retried.
    assert!(get("/flaky.jpg").is_ok());
    assert_eq!(cdn.hits("/flaky.jpg"), 2);
    // Always 503: gives up after the configured attempts.
    assert!(matches!(
        get("/always503.jpg"),
        Err(FetchError::Status(503))
    ));
    assert_eq!(cdn.hits("/always503.jpg"), cfg.attempts);
    // 403 (expired signature): never retried.
    assert!(matches!(
        get("/forbidden.jpg"),
        Err(FetchError::Status(403))
    ));
    assert_eq!(cdn.hits("/forbidden.jpg"), 1);
    // Size cap, announced and not announced.
    assert!(matches!(get("/huge.jpg"), Err(FetchError::TooLarge { .. })));
    assert!(matches!(
        get("/huge-unannounced.jpg"),
        Err(FetchError::TooLarge { .. })
    ));
    // Redirects: only to allow-listed https hosts.
    assert!(get("/redirect-out.jpg").is_err());
    assert!(get("/redirect-plain.jpg").is_err());
    assert_eq!(cdn.hits("/ok.jpg"), 0, "an http redirect is not followed");
    assert_eq!(
        get("/redirect-in.jpg").expect("allowed redirect"),
        jpeg_for("/moved.jpg", 64, 80)
    );
    // The body arrives but is not an acceptable image.
    let bomb = get("/bomb.png").expect("bytes arrive");
    assert!(matches!(
        swipy_host::fetch::check_image(&bomb),
        Err(FetchError::TooManyPixels {
            width: 50_000,
            height: 50_000
        })
    ));
    let html = get("/page.html").expect("bytes arrive");
    assert!(matches!(
        swipy_host::fetch::check_image(&html),
        Err(FetchError::NotAnImage)
    ));
    // Not on the allow-list / not https: refused before any request.
    let before = cdn.total_hits();
    let r = rt.block_on(download(&client, &cfg, "https://evil.example.com/x.jpg"));
    assert!(matches!(r, Err(FetchError::UrlRefused(_))));
    let r = rt.block_on(download(
        &client,
        &cfg,
        "http://images-ssl.gotinder.com/x.jpg",
    ));
    assert!(matches!(r, Err(FetchError::UrlRefused(_))));
    assert_eq!(cdn.total_hits(), before);
}

#[test]
fn without_the_test_ca_the_loopback_cdn_is_not_trusted() {
    let cdn = cdn();
    let cfg = FetchConfig {
        extra_ca_pem: None,
        attempts: 1,
        ..config(&cdn)
    };
    let client = swipy_host::fetch::build_client(&cfg).expect("client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let r = rt.block_on(download(
        &client,
        &cfg,
        "https://images-ssl.gotinder.com/u/x.jpg",
    ));
    assert!(matches!(r, Err(FetchError::Network(_))), "{r:?}");
}

#[test]
fn served_recs_photos_are_downloaded_into_the_store() {
    let cdn = cdn();
    let home = tempfile::tempdir().expect("home");
    let resolve = cdn.resolve_spec();
    let ca = cdn.ca_path();
    let mut host = Host::chromium(
        home.path(),
        &[("SWIPY_TEST_RESOLVE", &resolve), ("SWIPY_TEST_CA", &ca)],
    );
    host.hello();
    let r = host.call("recs", serde_json::json!({"body": crate::common::fixture(), "captured_at_ms": 1_795_867_200_000.0_f64}));
    assert!(
        matches!(
            r,
            swipy_shared::protocol::Response::Ingested { profiles: 4, .. }
        ),
        "{r:?}"
    );
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(
        stderr.contains("SWIPY_TEST_RESOLVE is set"),
        "the test redirection is logged loudly:\n{stderr}"
    );

    // The 640×800 processed file was preferred over the original.
    assert_eq!(
        cdn.hits("/5f1a2b3c4d5e6f7a8b9c0d01/640x800_p-anna-1.jpg"),
        1
    );
    assert_eq!(
        cdn.hits("/5f1a2b3c4d5e6f7a8b9c0d01/original_p-anna-1.jpeg"),
        0
    );
    let store = swipy_host::store::Store::open(home.path()).expect("store");
    let rows = store.export_rows().expect("rows");
    let fetched: u32 = rows.iter().map(|r| r.photos_fetched).sum();
    assert_eq!(fetched, 6, "every photo of the page is stored: {rows:?}");
    assert_eq!(store.stats(0.0).expect("stats").photos, 6);
    let files = store
        .photo_files("5f1a2b3c4d5e6f7a8b9c0d03")
        .expect("files");
    assert_eq!(files.len(), 3);
    for (idx, rel) in files {
        let bytes = std::fs::read(home.path().join(&rel)).expect("photo file");
        let url = format!("/5f1a2b3c4d5e6f7a8b9c0d03/original_p-chl-{}.jpeg", idx + 1);
        assert_eq!(bytes, jpeg_for(&url, 64, 80), "file content of {rel}");
        assert!(rel.starts_with("photos/") && rel.ends_with(".jpg"));
    }
    let leftovers: Vec<_> = crate::common::walk(&home.path().join("photos"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".part"))
        })
        .collect();
    assert!(leftovers.is_empty(), "no partial files: {leftovers:?}");
}

#[test]
fn test_redirection_refuses_non_loopback_targets() {
    let home = tempfile::tempdir().expect("home");
    let mut host = Host::chromium(
        home.path(),
        &[(
            "SWIPY_TEST_RESOLVE",
            "images-ssl.gotinder.com=192.0.2.1:443",
        )],
    );
    // The host still serves; photo fetching is off and says why.
    host.hello();
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0);
    assert!(stderr.contains("only loopback targets"), "{stderr}");
}

#[test]
fn cli_import_downloads_photos_and_reports_failures() {
    // Chloé's second photo has an expired signature (403).
    let cdn = Cdn::start(Arc::new(|path: &str, _| {
        if path.ends_with("original_p-chl-2.jpeg") {
            Reply::new(403, b"expired".to_vec())
        } else {
            Reply::new(200, jpeg_for(path, 48, 60))
        }
    }));
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("recs.json");
    std::fs::write(&file, crate::common::fixture_text()).expect("write");
    let resolve = cdn.resolve_spec();
    let ca = cdn.ca_path();
    let env = [
        ("SWIPY_TEST_RESOLVE", resolve.as_str()),
        ("SWIPY_TEST_CA", ca.as_str()),
    ];
    let (code, out, err) = crate::common::swipy(
        home.path(),
        &["import-recs", file.to_str().expect("utf8")],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("photos: 5 of 6 downloaded, 1 failed (last: HTTP status 403)"),
        "{out}"
    );
    assert_eq!(
        cdn.hits("/5f1a2b3c4d5e6f7a8b9c0d03/original_p-chl-2.jpeg"),
        1,
        "403 is not retried"
    );
    let (_, out, _) = crate::common::swipy(home.path(), &["stats", "--json"], &[]);
    let st: swipy_shared::protocol::Stats = serde_json::from_str(out.trim()).expect("stats");
    assert_eq!(st.photos, 5);
    // A second import fetches only what is missing (and it fails again).
    let (_, out, _) = crate::common::swipy(
        home.path(),
        &["import-recs", file.to_str().expect("utf8")],
        &env,
    );
    assert!(out.contains("photos: 0 of 1 downloaded, 1 failed"), "{out}");
}
