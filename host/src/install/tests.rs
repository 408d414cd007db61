use super::*;

const ID: &str = "abcdefghijklmnopabcdefghijklmnop";

#[test]
fn extension_ids() {
    assert!(valid_extension_id(ID));
    assert!(!valid_extension_id("abc"));
    assert!(!valid_extension_id("zbcdefghijklmnopabcdefghijklmnop"));
}

#[test]
fn user_data_dir_install_writes_the_chromium_manifest() {
    let dir = tempfile::tempdir().expect("tmp");
    let host = std::path::PathBuf::from("/opt/swipy/bin/swipy");
    let spec = InstallSpec {
        browsers: vec![Browser::Chromium],
        extension_id: Some(ID.into()),
        user_data_dir: Some(dir.path().to_path_buf()),
        host_path: host.clone(),
    };
    let written = install(&spec).expect("install");
    let path = dir
        .path()
        .join("NativeMessagingHosts")
        .join("com.swipy.host.json");
    assert_eq!(written, vec![path.clone()]);
    let v: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    assert_eq!(v["name"], "com.swipy.host");
    assert_eq!(v["type"], "stdio");
    assert_eq!(v["path"], "/opt/swipy/bin/swipy");
    // The development id of an unpacked build and the store id given at install.
    assert_eq!(
        v["allowed_origins"],
        serde_json::json!([
            "chrome-extension://ljclfeibebjnaddgcncgkkencacbledf/",
            format!("chrome-extension://{ID}/")
        ])
    );
    assert!(v.get("allowed_extensions").is_none());
    let c = check_manifest("chromium", &path, false, &host);
    assert!(c.present && c.problems.is_empty(), "{c:?}");
    assert_eq!(
        uninstall(&[Browser::Chromium], Some(dir.path())).expect("rm"),
        vec![path.clone()]
    );
    assert!(!path.exists());
}

#[test]
fn bad_install_arguments_are_refused() {
    let host = std::path::PathBuf::from("/opt/swipy/bin/swipy");
    let mut spec = InstallSpec {
        browsers: vec![Browser::Chrome],
        extension_id: None,
        user_data_dir: None,
        host_path: host,
    };
    // Without a store id the development id is registered.
    assert!(spec.validate().is_ok(), "no store id is fine");
    spec.extension_id = Some("not-an-id".into());
    assert!(
        matches!(install(&spec), Err(InstallError::BadArgs(_))),
        "bad id"
    );
    spec.extension_id = Some(ID.into());
    spec.host_path = "relative/swipy".into();
    assert!(
        matches!(install(&spec), Err(InstallError::BadArgs(_))),
        "relative path"
    );
    let spec = InstallSpec {
        browsers: vec![Browser::Firefox],
        extension_id: None,
        user_data_dir: Some("/tmp/x".into()),
        host_path: "/opt/swipy".into(),
    };
    assert!(
        matches!(install(&spec), Err(InstallError::BadArgs(_))),
        "firefox + user-data-dir"
    );
}

#[test]
fn firefox_manifest_shape() {
    let v = manifest_json(true, std::path::Path::new("/opt/swipy"), None);
    assert_eq!(
        v["allowed_extensions"],
        serde_json::json!(["swipy@swipy.app"])
    );
    assert!(v.get("allowed_origins").is_none());
}

#[test]
fn doctor_check_finds_problems() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("m.json");
    std::fs::write(
        &p,
        r#"{"name":"other","path":"/nonexistent/swipy","allowed_origins":[]}"#,
    )
    .expect("w");
    let c = check_manifest("chrome", &p, false, std::path::Path::new("/opt/swipy"));
    assert!(c.present);
    assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
    let missing = check_manifest(
        "chrome",
        &dir.path().join("none.json"),
        false,
        std::path::Path::new("/x"),
    );
    assert!(!missing.present && missing.problems.is_empty());
}

#[test]
fn the_development_id_is_always_allowed_and_a_store_id_added_once() {
    let dev = "chrome-extension://ljclfeibebjnaddgcncgkkencacbledf/";
    assert!(valid_extension_id(dev_extension_id()));
    assert_eq!(chromium_origins(None), vec![dev.to_owned()]);
    assert_eq!(
        chromium_origins(Some(ID)),
        vec![dev.to_owned(), format!("chrome-extension://{ID}/")]
    );
    assert_eq!(
        chromium_origins(Some(dev_extension_id())),
        vec![dev.to_owned()]
    );
    // Without --extension-id the manifest allows the development id alone.
    let dir = tempfile::tempdir().expect("tmp");
    let spec = InstallSpec {
        browsers: vec![Browser::Chromium],
        extension_id: None,
        user_data_dir: Some(dir.path().to_path_buf()),
        host_path: "/opt/swipy/swipy".into(),
    };
    let written = install(&spec).expect("install");
    let v: Value =
        serde_json::from_slice(&std::fs::read(&written[0]).expect("read")).expect("json");
    assert_eq!(v["allowed_origins"], serde_json::json!([dev]));
}
