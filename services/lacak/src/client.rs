//! What the client commands (report, demo, bench) share: where the suite is and who is asking.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lacak_domain::{Principal, Role};
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use lacak_proto::monitoring::monitoring_service_client::MonitoringServiceClient;
use lacak_runtime::auth::load_keys;
use lacak_runtime::client::Bearer;
use lacak_runtime::config::AuthArgs;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Where the suite answers and which token to present.
#[derive(clap::Args, Clone)]
pub struct ClientArgs {
    /// The suite's address.
    #[arg(long, env = "LACAK_TARGET", default_value = "http://127.0.0.1:50051")]
    pub target: String,
    /// Goals' address, when the services are apart (e.g. one port-forward each); --target if unset.
    #[arg(long, env = "LACAK_GOALS_TARGET")]
    pub goals_target: Option<String>,
    /// Inventory's address, when it is not --target.
    #[arg(long, env = "LACAK_INVENTORY_TARGET")]
    pub inventory_target: Option<String>,
    /// Monitoring's address, when it is not --target.
    #[arg(long, env = "LACAK_MONITORING_TARGET")]
    pub monitoring_target: Option<String>,
    /// A bearer token. When unset, an admin token of --tenant is signed with the data directory's key.
    #[arg(long, env = "LACAK_TOKEN")]
    pub token: Option<String>,
    /// The tenant to work in when signing a token here.
    #[arg(long, env = "LACAK_TENANT", default_value = "demo")]
    pub tenant: String,
    /// Where `lacak up` keeps its signing key.
    #[arg(long, env = "LACAK_DATA_DIR", default_value = "./lacak-data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub auth: AuthArgs,
}

pub type Goals = GoalsServiceClient<InterceptedService<Channel, Bearer>>;
pub type Inventory = InventoryServiceClient<InterceptedService<Channel, Bearer>>;
pub type Monitoring = MonitoringServiceClient<InterceptedService<Channel, Bearer>>;

/// Clients of the three services over one connection.
#[derive(Clone)]
pub struct Clients {
    pub goals: Goals,
    pub inventory: Inventory,
    pub monitoring: Monitoring,
}

impl ClientArgs {
    /// The token to present: the one given, or an admin token signed here.
    pub fn token(&self) -> anyhow::Result<String> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        let (_, issuer) = load_keys(&self.auth, &self.data_dir, false)
            .with_context(|| format!("no --token given and no signing key in {}", self.data_dir.display()))?;
        let issuer = issuer.context("this key configuration cannot sign tokens; pass --token")?;
        let principal = Principal {
            tenant: self.tenant.clone(),
            subject: "lacak-cli".into(),
            role: Role::Admin,
            teams: Vec::new(),
        };
        Ok(issuer.issue(&principal, Duration::from_secs(6 * 3600), None)?)
    }

    pub async fn connect(&self) -> anyhow::Result<Clients> {
        let token = self.token()?;
        let mut opened: Vec<(String, Channel)> = Vec::new();
        let mut open = async |target: Option<&String>| -> anyhow::Result<Channel> {
            let target = target.unwrap_or(&self.target);
            if let Some((_, channel)) = opened.iter().find(|(t, _)| t == target) {
                return Ok(channel.clone());
            }
            let channel = Channel::from_shared(target.clone())
                .with_context(|| format!("{target} is not a URL"))?
                .connect_timeout(Duration::from_secs(5))
                .connect()
                .await
                .with_context(|| format!("cannot reach {target}; is `lacak up` running?"))?;
            opened.push((target.clone(), channel.clone()));
            Ok(channel)
        };
        let goals = open(self.goals_target.as_ref()).await?;
        let inventory = open(self.inventory_target.as_ref()).await?;
        let monitoring = open(self.monitoring_target.as_ref()).await?;
        Ok(clients_apart(goals, inventory, monitoring, &token))
    }
}

pub fn clients(channel: Channel, token: &str) -> Clients {
    clients_apart(channel.clone(), channel.clone(), channel, token)
}

/// Clients of the three services, each over its own channel.
fn clients_apart(goals: Channel, inventory: Channel, monitoring: Channel, token: &str) -> Clients {
    let bearer = Bearer::new(token);
    let limit = 64 << 20;
    Clients {
        goals: GoalsServiceClient::with_interceptor(goals, bearer.clone()).max_decoding_message_size(limit),
        inventory: InventoryServiceClient::with_interceptor(inventory, bearer.clone()).max_decoding_message_size(limit),
        monitoring: MonitoringServiceClient::with_interceptor(monitoring, bearer).max_decoding_message_size(limit),
    }
}

/// An amount of whole rupiah, the currency the demo and the bench sell in.
pub fn idr(units: i64) -> Option<lacak_proto::common::Money> {
    Some(lacak_proto::common::Money {
        currency_code: "IDR".into(),
        units,
        nanos: 0,
    })
}

/// Money as text with thousands separators, e.g. "1,250,000.50 IDR".
pub fn money_text(money: Option<&lacak_proto::common::Money>) -> String {
    let Some(m) = money else { return "—".into() };
    let amount = rust_decimal::Decimal::from(m.units) + rust_decimal::Decimal::new(i64::from(m.nanos), 9);
    format!("{} {}", grouped(amount.round_dp(2)), m.currency_code)
}

/// A decimal with thousands separators.
pub fn grouped(value: rust_decimal::Decimal) -> String {
    let text = value.abs().to_string();
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    if value.is_sign_negative() && !value.is_zero() {
        out.insert(0, '-');
    }
    out
}

/// A wire decimal as text, or a dash.
pub fn decimal_text(value: Option<&lacak_proto::common::Decimal>, suffix: &str) -> String {
    match value.and_then(|d| d.value.parse::<rust_decimal::Decimal>().ok()) {
        Some(v) => format!("{}{suffix}", v.round_dp(1)),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_with_thousands_separators() {
        assert_eq!(grouped("1250000.5".parse().unwrap()), "1,250,000.5");
        assert_eq!(grouped("-999".parse().unwrap()), "-999");
        assert_eq!(grouped("1000".parse().unwrap()), "1,000");
    }
}
