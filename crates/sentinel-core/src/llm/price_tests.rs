//! Cost accounting on the vendors' documented usage examples, to the pico-dollar.

use super::*;

#[test]
fn openai_prompt_caching_example_prices_cached_tokens_at_the_cached_rate() {
    // OpenAI's prompt-caching guide: prompt_tokens 2006 of which cached_tokens 1920,
    // completion_tokens 300. gpt-4o: $2.50 in, $1.25 cached, $10 out per million.
    let usage = TokenUsage::from_openai(2006, 300, 1920, 0);
    let cost = PriceTable::builtin()
        .cost("gpt-4o-2024-08-06", &usage)
        .unwrap();
    // 86 × 2.5 + 1920 × 1.25 + 300 × 10 = 215 + 2400 + 3000 micro-dollars.
    assert_eq!(cost.pico_usd, 5_615_000_000);
    assert_eq!(cost.nano_usd(), 5_615_000);
}

#[test]
fn xai_chat_completions_example_is_normalised_like_openai() {
    // docs.x.ai prompt caching, Chat Completions: prompt 125 (cached 98), completion 48.
    let usage = TokenUsage::from_openai(125, 48, 98, 0);
    assert_eq!((usage.input_uncached, usage.cache_read), (27, 98));
    let cost = PriceTable::builtin().cost("gpt-4o-mini", &usage).unwrap();
    // 27 × 0.15 + 98 × 0.075 + 48 × 0.60 = 4.05 + 7.35 + 28.8 micro-dollars.
    assert_eq!(cost.pico_usd, 40_200_000);
}

#[test]
fn anthropic_cache_write_then_read_are_priced_apart_from_input() {
    // Anthropic's prompt-caching example: the first call writes 188 086 tokens to the cache,
    // the second reads them; 21 uncached input tokens and 393 output tokens each time.
    let table = PriceTable::builtin();
    let write = TokenUsage::from_anthropic(21, 393, 188_086, 0);
    let read = TokenUsage::from_anthropic(21, 393, 0, 188_086);
    let model = "claude-sonnet-4-20250514";
    // 21 × 3 + 188 086 × 3.75 + 393 × 15 = 63 + 705 322.5 + 5 895 micro-dollars.
    assert_eq!(table.cost(model, &write).unwrap().pico_usd, 711_280_500_000);
    // 21 × 3 + 188 086 × 0.30 + 393 × 15 = 63 + 56 425.8 + 5 895 micro-dollars.
    assert_eq!(table.cost(model, &read).unwrap().pico_usd, 62_383_800_000);
    assert_eq!(table.cost(model, &read).unwrap().nano_usd(), 62_383_800);
}

#[test]
fn the_longest_matching_entry_prices_a_model_and_unknown_models_have_no_price() {
    let table = PriceTable::builtin();
    assert_eq!(
        table.price("gpt-4o-mini-2024-07-18").unwrap().model,
        "gpt-4o-mini"
    );
    assert_eq!(table.price("gpt-4o").unwrap().model, "gpt-4o");
    assert!(table.price("gpt-4omega").is_none());
    assert!(table.cost("llama3.1:8b", &TokenUsage::default()).is_none());
}

#[test]
fn configured_prices_are_checked_and_default_cache_prices_to_input() {
    let config = ModelPriceConfig {
        model: "llama3.1".into(),
        input: 0.075,
        output: 0.3,
        cache_read: None,
        cache_write: None,
    };
    let table = PriceTable::from_config("org-1", std::slice::from_ref(&config)).unwrap();
    let price = table.price("llama3.1").unwrap();
    assert_eq!(price.input_micros, 75_000);
    assert_eq!(price.cache_read_micros, 75_000);
    let bad = ModelPriceConfig {
        input: -1.0,
        ..config.clone()
    };
    assert_eq!(
        PriceTable::from_config("x", &[bad])
            .unwrap_err()
            .to_string(),
        "price for llama3.1: input must be a finite number of dollars, at least 0"
    );
    let nameless = ModelPriceConfig {
        model: " ".into(),
        ..config
    };
    assert_eq!(
        PriceTable::from_config("x", &[nameless]),
        Err(PriceError::NoModel)
    );
}
