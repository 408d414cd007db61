//! Tiny generated test models.
