//! Integration tests of the `swipy` binary: spoken to as a browser would (frames over
//! stdin/stdout), used as a CLI, and its photo fetcher against a loopback HTTPS "CDN".

mod catalogue;
mod cli;
mod common;
mod faults;
mod learning;
mod matches;
mod photos;
mod protocol;
