//! placeholder
use crate::client::ClientArgs;
#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}
pub async fn run(_a: BenchArgs) -> anyhow::Result<()> {
    Ok(())
}
