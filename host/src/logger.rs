//! A tiny logger: every record goes to stderr and to `<data dir>/logs/swipy.log`.
//! Never stdout — in serve mode stdout carries native messaging frames only.
//! Level from `SWIPY_LOG` (`error`, `warn`, `info` (default), `debug`, `trace`).
//! Nothing secret is ever passed to it (the token is never formatted anywhere).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

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

/// `2026-11-28T12:00:00.123Z` for ms since the epoch.
pub fn timestamp(ms: f64) -> String {
    let total_ms = ms.max(0.0) as i64;
    let days = total_ms.div_euclid(86_400_000);
    let rem = total_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
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
    }
}
