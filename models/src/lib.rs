//! Swipy models (placeholder).
