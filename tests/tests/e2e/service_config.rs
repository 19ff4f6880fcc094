//! The published gRPC service config (docs/grpc-service-config.json) names only methods that exist,
//! gives every service a default, and retries no streaming call.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;

/// Every method of every Lacak service, with whether it streams.
fn methods() -> BTreeMap<(String, String), bool> {
    let set = prost_types::FileDescriptorSet::decode(lacak_proto::FILE_DESCRIPTOR_SET).expect("the descriptor set");
    let mut methods = BTreeMap::new();
    for file in set.file {
        let package = file.package().to_owned();
        if !package.starts_with("lacak.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                let streams = method.client_streaming() || method.server_streaming();
                methods.insert(
                    (format!("{package}.{}", service.name()), method.name().to_owned()),
                    streams,
                );
            }
        }
    }
    methods
}

#[test]
fn the_service_config_covers_every_service_and_retries_only_unary_calls() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/grpc-service-config.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the config")).expect("the service config is JSON");
    let methods = methods();
    let services: BTreeSet<&String> = methods.keys().map(|(service, _)| service).collect();
    assert!(
        services.len() >= 4,
        "the descriptor set holds the services: {services:?}"
    );

    let mut defaults = BTreeSet::new();
    for entry in config["methodConfig"].as_array().expect("methodConfig") {
        let retries = entry.get("retryPolicy").is_some();
        for name in entry["name"].as_array().expect("names") {
            let service = name["service"].as_str().expect("a service").to_owned();
            assert!(services.contains(&service), "{service} is not a Lacak service");
            match name.get("method").and_then(|m| m.as_str()) {
                None => {
                    defaults.insert(service);
                }
                Some(method) => {
                    let streams = methods
                        .get(&(service.clone(), method.to_owned()))
                        .unwrap_or_else(|| panic!("{service}/{method} does not exist"));
                    assert!(
                        !(retries && *streams),
                        "{service}/{method} streams and must not be retried"
                    );
                }
            }
        }
    }
    let missing: Vec<_> = services.iter().filter(|s| !defaults.contains(**s)).collect();
    assert!(missing.is_empty(), "services without a default timeout: {missing:?}");
}
