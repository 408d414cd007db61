//! Pure, native-testable logic of the extension.

pub mod auto;
pub mod autoswipe;
pub mod brain;
pub mod cards;
pub mod conn;
pub mod dash;
pub mod dialogs;
pub mod intake;
pub mod outbox;
pub mod page;
pub mod popup;

#[cfg(test)]
mod order_tests;
