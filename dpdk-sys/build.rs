//! Finds DPDK with pkg-config, generates bindings for `wrapper.h` and
//! compiles `shim.c` (the out-of-line wrappers for DPDK's inline functions).

use std::env;
use std::path::PathBuf;
use std::process::Command;

const MISSING: &str = "DPDK not found by `pkg-config libdpdk`. On Debian 12 install it with: \
     apt-get install dpdk dpdk-dev libdpdk-dev clang libclang-dev pkg-config \
     (or run scripts/setup.sh)";

fn pkg_config(args: &[&str]) -> String {
    let out = Command::new("pkg-config")
        .args(args)
        .arg("libdpdk")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pkg-config ({e}). {MISSING}"));
    if !out.status.success() {
        panic!("{MISSING}");
    }
    String::from_utf8(out.stdout).expect("pkg-config output is UTF-8")
}

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=shim.c");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    // The raw flag string matters: DPDK's cflags carry `-include rte_config.h`
    // and `-march=corei7`, without which rte_memcpy.h does not compile.
    let cflags: Vec<String> = pkg_config(&["--cflags"])
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // Shared linkage lets EAL load every PMD plugin by itself (no `-d`).
    for flag in pkg_config(&["--libs"]).split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        }
    }

    let mut shim = cc::Build::new();
    shim.file("shim.c")
        .include(".")
        .opt_level(3)
        .warnings(false);
    for f in &cflags {
        shim.flag(f);
    }
    shim.compile("rvs_dpdk_shim");

    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(&cflags)
        .allowlist_function("rte_.*|rvs_.*")
        .allowlist_type("rte_.*")
        .allowlist_var("RTE_.*")
        // Packed and aligned at once: Rust cannot express it (E0588); rvs
        // parses ARP with its own views.
        .opaque_type("rte_arp_ipv4|rte_arp_hdr|rte_l2tpv2_.*")
        .no_debug("rte_flow_item_gtp_psc")
        // Take __m128i by value: bindgen gets the ABI wrong.
        .blocklist_function("rte_lpm_lookupx4")
        .clang_macro_fallback()
        .derive_default(true)
        .layout_tests(false)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen failed on wrapper.h");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    bindings.write_to_file(out).expect("write bindings");
}
