//! `cargo xtask <command>`: Swipy's automation. Every command installs what it needs when
//! it is missing, so a fresh machine can run `cargo xtask test` or `cargo xtask run`.
#![allow(clippy::print_stdout)]

mod bench;
mod build;
mod dist;
mod fuzz;
mod har;
mod layers;
mod models;
mod run;
mod test;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command> [options]

commands:
  run [--demo] [--headless --screenshot FILE]   set up everything and open Chromium with Swipy
  test                                          every check and test (what CI runs)
  build [--release]                             build the extension (extension/dist/chrome, extension/dist/firefox)
  dist [--check]                                release files in target/dist/ (extension packages, Linux and
                                                Windows host archives); --check tests the unpacked Linux archive
  models [--gpu]                                fetch the ONNX Runtime library and prepare the offline models
  bench                                         end-to-end scoring benchmark against the Python reference
  fuzz --seconds N                              run every fuzz target for N seconds each
  layers                                        fail on an import from a lower layer of the host to a higher one
  fixtures-from-har FILE [--out DIR]            anonymised test fixtures from a HAR of your own tinder.com session
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "run" => run::run(rest),
        "test" => test::test(rest),
        "build" => build::build(rest),
        "dist" => dist::dist(rest),
        "models" => models::models(rest),
        "bench" => bench::bench(rest),
        "fuzz" => fuzz::fuzz(rest),
        "layers" => layers::layers(rest),
        "fixtures-from-har" => har::fixtures_from_har(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
