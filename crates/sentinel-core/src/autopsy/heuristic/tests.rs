//! Diagnosis tests.
