use super::*;

#[test]
fn browser_launch_detection() {
    let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        BrowserLaunch::detect(&a(&[
            "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"
        ])),
        Some(BrowserLaunch::Chromium {
            origin: "chrome-extension://abcdefghijklmnopabcdefghijklmnop/".into()
        })
    );
    assert_eq!(
        BrowserLaunch::detect(&a(&["chrome-extension://abc/", "--parent-window=1234"])),
        Some(BrowserLaunch::Chromium {
            origin: "chrome-extension://abc/".into()
        })
    );
    assert_eq!(
        BrowserLaunch::detect(&a(&[
            "/home/u/.mozilla/native-messaging-hosts/com.swipy.host.json",
            "swipy@swipy.app"
        ])),
        Some(BrowserLaunch::Firefox {
            manifest: "/home/u/.mozilla/native-messaging-hosts/com.swipy.host.json".into(),
            addon_id: "swipy@swipy.app".into()
        })
    );
    assert_eq!(BrowserLaunch::detect(&a(&["stats"])), None);
    assert_eq!(
        BrowserLaunch::detect(&a(&["import-recs", "recs.json"])),
        None
    );
    assert_eq!(BrowserLaunch::detect(&a(&["import-har", "x.json"])), None);
    assert_eq!(BrowserLaunch::detect(&a(&[])), None);
}
