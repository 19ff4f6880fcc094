//! Compiles proto/ with the pure-Rust protox (no system protoc) and keeps the descriptor set for reflection.

use std::path::PathBuf;

use prost::Message;

/// The areas of `proto/lacak/` compiled into the suite; a contract still being built stays out.
const SERVED_AREAS: [&str; 5] = ["common", "goals", "inventory", "monitoring", "strategy"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let mut files = Vec::new();
    // Only the areas the binary serves: reflection then lists exactly what answers.
    for area in SERVED_AREAS {
        collect_protos(&root.join("lacak").join(area), &mut files)?;
    }
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("lacak_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}

fn collect_protos(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
