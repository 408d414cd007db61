//! Swipy extension (placeholder until the extension lands).
