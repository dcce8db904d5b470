#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| confab_fuzz::link_message(data));
