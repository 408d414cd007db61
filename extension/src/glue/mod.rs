//! Browser glue (wasm32 only): feeds browser events into the pure logic and carries out the
//! actions it returns. Kept thin on purpose; decisions live in `logic`.

mod dashboard;
mod js;
mod popup;
mod worker;
