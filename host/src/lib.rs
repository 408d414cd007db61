//! Swipy host library.
