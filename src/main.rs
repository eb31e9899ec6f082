use clap::Parser;
use tramgis::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    tramgis::bundled_data::use_installed_data();
    let args = Cli::parse();
    let result = match args.command {
        Some(command) => cli::run(command),
        None => open_window(args.workspace),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tramgis: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "gui")]
fn open_window(workspace: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    tramgis::ui::run(workspace)
}

#[cfg(not(feature = "gui"))]
fn open_window(_workspace: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!(
        "this tramgis was built without the window (feature `gui`); use a subcommand, see --help"
    )
}
