//! `plinth`: the one binary an operator needs. See `plinth --help`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use plinth_cli::{Component, Stack};
use plinth_infra_config::{ProcessEnv, Settings};

#[derive(Parser)]
#[command(
    name = "plinth",
    version,
    about = "Plinth: identity, authorization and audit as event-sourced services"
)]
struct Cli {
    /// Folder of configuration files (`*.toml`, read in name order).
    #[arg(
        long,
        global = true,
        default_value = "config",
        env = "PLINTH_CONFIG_DIR"
    )]
    config_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything in one process: schema registry, identity, relay, projector, gateway.
    Dev,
    /// Run one component.
    Serve {
        #[arg(value_enum)]
        component: Component,
    },
    /// Serve the schema registry (same as `serve schema-registry`).
    SchemaRegistry,
    /// Apply every pending database migration and exit.
    Migrate,
    /// Manage the access-token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The modules, their permissions and their routes, from the manifests.
    Modules {
        #[command(subcommand)]
        command: ModulesCommand,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum ModulesCommand {
    /// Print every module with its permissions and routes.
    List,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make the first administrator of a tenant, exactly once: the holder of `--email`, or a
    /// new account with that address when there is none.
    Bootstrap {
        /// The administrator's e-mail address.
        #[arg(long)]
        email: String,
        /// The display name of a new account.
        #[arg(long, default_value = "Administrator")]
        display_name: String,
        /// The tenant (default: the default tenant).
        #[arg(long, default_value = "default")]
        tenant: String,
        /// A file holding the new account's password. Without it (and without
        /// PLINTH_BOOTSTRAP_PASSWORD) a random password is generated and printed once.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a new signing key active; the previous one verifies until its tokens expire.
    Rotate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Modules {
        command: ModulesCommand::List,
    } = cli.command
    {
        print!("{}", plinth_cli::modules_report());
        return Ok(());
    }
    let settings = Settings::load(&cli.config_dir, &ProcessEnv).context("loading configuration")?;
    let _telemetry =
        plinth_infra_telemetry::init(&settings.telemetry).context("starting telemetry")?;
    let shutdown = plinth_cli::shutdown_on_signal();
    let stack = Stack::connect(settings).context("connecting to Postgres")?;
    match cli.command {
        Command::Migrate => stack.migrate().await.context("migrating the database"),
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let kid = stack
                .rotate_keys()
                .await
                .context("rotating the signing key")?;
            println!("New signing key: {kid}");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Bootstrap {
                    email,
                    display_name,
                    tenant,
                    password_file,
                },
        } => {
            let tenant = plinth_domain_core::TenantId::parse(&tenant).context("--tenant")?;
            let (password, generated) = match password_file {
                Some(path) => (
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?
                        .trim_end_matches(['\r', '\n'])
                        .to_owned(),
                    false,
                ),
                None => match std::env::var("PLINTH_BOOTSTRAP_PASSWORD") {
                    Ok(password) => (password, false),
                    Err(_) => (plinth_cli::random_password(), true),
                },
            };
            let (user, created) = stack
                .bootstrap_administrator(tenant, &email, &display_name, &password)
                .await?;
            if created {
                println!("Administrator {email} registered with id {user}.");
                if generated {
                    println!("Password (shown only now; change it after signing in): {password}");
                }
            } else {
                println!("Existing user {email} ({user}) is now the administrator.");
            }
            Ok(())
        }
        Command::Modules { .. } => unreachable!("answered before connecting"),
        Command::Dev => {
            stack
                .run(&plinth_cli::dev_components(&stack.settings), shutdown)
                .await
        }
        Command::Serve { component } => stack.run(&[component], shutdown).await,
        Command::SchemaRegistry => stack.run(&[Component::SchemaRegistry], shutdown).await,
    }
}
