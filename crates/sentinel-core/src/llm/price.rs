//! What a call cost: a price table per model, in US dollars per million tokens, applied to
//! a [`TokenUsage`].
//!
//! Prices are held as whole micro-dollars per million tokens, so a cost is an exact whole
//! number of pico-dollars (10⁻¹² USD): `tokens × micro-dollars per million tokens`. No
//! floating point touches the sum; budgets add costs without drift.
//!
//! The built-in table ([`PriceTable::builtin`]) carries list prices as published by the
//! vendors when it was written; an operator replaces or extends it per organization (the
//! provider settings' `prices`), and every recorded cost names the table's version.

use serde::{Deserialize, Serialize};

use super::usage::TokenUsage;

/// Micro-dollars in a dollar.
const MICROS: f64 = 1_000_000.0;

/// The price of one model, per million tokens of each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPrice {
    /// The model's name, or the start of it: `gpt-4o` prices `gpt-4o-2024-08-06` too.
    pub model: String,
    pub input_micros: u64,
    pub cache_read_micros: u64,
    pub cache_write_micros: u64,
    pub output_micros: u64,
}

/// A model's price as configured: dollars per million tokens. Without `cache_read` or
/// `cache_write` those tokens cost what input costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPriceConfig {
    pub model: String,
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_read: Option<f64>,
    #[serde(default)]
    pub cache_write: Option<f64>,
}

/// A price that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("price for {model}: {field} must be a finite number of dollars, at least 0")]
    Invalid { model: String, field: &'static str },
    #[error("price entry without a model name")]
    NoModel,
}

fn micros(model: &str, field: &'static str, dollars: f64) -> Result<u64, PriceError> {
    if !dollars.is_finite() || !(0.0..=1.0e6).contains(&dollars) {
        return Err(PriceError::Invalid {
            model: model.to_owned(),
            field,
        });
    }
    // Rounded: 0.075 is 74 999.999… micro-dollars in binary floating point.
    Ok((dollars * MICROS).round() as u64)
}

impl ModelPrice {
    pub fn from_config(config: &ModelPriceConfig) -> Result<Self, PriceError> {
        let model = config.model.trim();
        if model.is_empty() {
            return Err(PriceError::NoModel);
        }
        let input_micros = micros(model, "input", config.input)?;
        let opt = |field, v: Option<f64>| v.map_or(Ok(input_micros), |v| micros(model, field, v));
        Ok(Self {
            model: model.to_owned(),
            input_micros,
            cache_read_micros: opt("cache_read", config.cache_read)?,
            cache_write_micros: opt("cache_write", config.cache_write)?,
            output_micros: micros(model, "output", config.output)?,
        })
    }

    /// The cost of `usage` at this price.
    pub fn cost(&self, usage: &TokenUsage) -> Cost {
        let pico = u128::from(usage.input_uncached) * u128::from(self.input_micros)
            + u128::from(usage.cache_read) * u128::from(self.cache_read_micros)
            + u128::from(usage.cache_write) * u128::from(self.cache_write_micros)
            + u128::from(usage.output) * u128::from(self.output_micros);
        Cost {
            pico_usd: u64::try_from(pico).unwrap_or(u64::MAX),
        }
    }
}

/// An amount of money, exact to the pico-dollar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cost {
    pub pico_usd: u64,
}

impl Cost {
    /// Nano-dollars, as stored (rounded half up): a million calls still sum exactly.
    pub fn nano_usd(self) -> i64 {
        i64::try_from(self.pico_usd.saturating_add(500) / 1000).unwrap_or(i64::MAX)
    }

    /// Dollars, for display only.
    pub fn usd(self) -> f64 {
        self.pico_usd as f64 / 1.0e12
    }
}

/// Prices of the models an organization uses, with a version recorded beside each cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceTable {
    pub version: String,
    pub models: Vec<ModelPrice>,
}

impl PriceTable {
    pub fn from_config(
        version: impl Into<String>,
        models: &[ModelPriceConfig],
    ) -> Result<Self, PriceError> {
        Ok(Self {
            version: version.into(),
            models: models
                .iter()
                .map(ModelPrice::from_config)
                .collect::<Result<_, _>>()?,
        })
    }

    /// List prices (USD per million tokens: input, cache read, cache write, output) of
    /// the models named in the vendors' price pages when this table was written. Check
    /// them against the vendor before relying on a budget in money.
    pub fn builtin() -> Self {
        let entry = |model: &str, input, read, write, output| ModelPrice {
            model: model.to_owned(),
            input_micros: input,
            cache_read_micros: read,
            cache_write_micros: write,
            output_micros: output,
        };
        Self {
            version: "builtin-2025-06".to_owned(),
            models: vec![
                entry("gpt-4o", 2_500_000, 1_250_000, 2_500_000, 10_000_000),
                entry("gpt-4o-mini", 150_000, 75_000, 150_000, 600_000),
                entry("gpt-4.1", 2_000_000, 500_000, 2_000_000, 8_000_000),
                entry("gpt-4.1-mini", 400_000, 100_000, 400_000, 1_600_000),
                entry("o4-mini", 1_100_000, 275_000, 1_100_000, 4_400_000),
                entry(
                    "claude-opus-4",
                    15_000_000,
                    1_500_000,
                    18_750_000,
                    75_000_000,
                ),
                entry("claude-sonnet-4", 3_000_000, 300_000, 3_750_000, 15_000_000),
                entry(
                    "claude-3-7-sonnet",
                    3_000_000,
                    300_000,
                    3_750_000,
                    15_000_000,
                ),
                entry("claude-3-5-haiku", 800_000, 80_000, 1_000_000, 4_000_000),
            ],
        }
    }

    /// The price of `model`: the entry named exactly so, else the longest entry the name
    /// starts with followed by `-` (a dated snapshot such as `claude-sonnet-4-20250514`).
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        self.models
            .iter()
            .filter(|p| {
                model == p.model
                    || model
                        .strip_prefix(p.model.as_str())
                        .is_some_and(|rest| rest.starts_with('-'))
            })
            .max_by_key(|p| p.model.len())
    }

    /// The cost of a call answered by `model`; `None` when the table has no price for it.
    pub fn cost(&self, model: &str, usage: &TokenUsage) -> Option<Cost> {
        self.price(model).map(|p| p.cost(usage))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "price_tests.rs"]
mod tests;
