use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Number of parcels.
    #[arg(long, default_value_t = 1_000_000)]
    pub parcels: usize,
}

pub fn run(_args: &BenchArgs) -> Result<()> {
    anyhow::bail!("not yet")
}
