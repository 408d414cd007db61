//! A tiny logger: every record goes to stderr and to `<data dir>/logs/swipy.log`.
//! Never stdout — in serve mode stdout carries native messaging frames only.
//! Level from `SWIPY_LOG` (`error`, `warn`, `info` (default), `debug`, `trace`).
//! Nothing secret is ever passed to it (the token is never formatted anywhere).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use swipy_shared::tinder::Date;

struct Logger {
    file: Mutex<Option<File>>,
    level: log::LevelFilter,
}

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= self.level
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!(
            "{} {:<5} [{}] {}\n",
            timestamp(crate::store::now_ms()),
            record.level(),
            std::process::id(),
            record.args()
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
        if let Ok(mut f) = self.file.lock() {
            if let Some(f) = f.as_mut() {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }

    fn flush(&self) {
        if let Ok(mut f) = self.file.lock() {
            if let Some(f) = f.as_mut() {
                let _ = f.flush();
            }
        }
    }
}

/// Installs the logger (once per process; later calls are ignored). The log file is
/// optional: when it cannot be opened, stderr alone is used.
pub fn init(data_dir: Option<&Path>, default_level: log::LevelFilter) {
    let level = std::env::var("SWIPY_LOG")
        .ok()
        .and_then(|s| s.parse::<log::LevelFilter>().ok())
        .unwrap_or(default_level);
    let file = data_dir.and_then(|d| {
        let dir = d.join("logs");
        std::fs::create_dir_all(&dir).ok()?;
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("swipy.log"))
            .ok()
    });
    let logger = Box::new(Logger {
        file: Mutex::new(file),
        level,
    });
    if log::set_boxed_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}

/// `2026-11-28T12:00:00.123Z` for ms since the epoch (the date from the contract's
/// calendar helper, [`swipy_shared::tinder::civil_from_ms`]).
pub fn timestamp(ms: f64) -> String {
    let total_ms = ms.max(0.0) as i64;
    let rem = total_ms.rem_euclid(86_400_000);
    let date = swipy_shared::tinder::civil_from_ms(total_ms as f64).unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    });
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        date.year,
        date.month,
        date.day,
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_iso8601_utc() {
        assert_eq!(super::timestamp(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::timestamp(1_795_867_200_123.0),
            "2026-11-28T12:00:00.123Z"
        );
        // Leap day, the end of a day, before the epoch (clamped).
        assert_eq!(
            super::timestamp(951_868_799_999.0),
            "2000-02-29T23:59:59.999Z"
        );
        assert_eq!(super::timestamp(-5.0), "1970-01-01T00:00:00.000Z");
    }
}
