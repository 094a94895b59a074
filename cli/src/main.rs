//! `plinth`: the one binary an operator needs. See `plinth --help`.

use std::path::PathBuf;
use std::process::ExitCode;

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
    /// What is stuck and why: the relay's backlog and what holds it back, parked events,
    /// stalled projections, events missing from the audit trail. Exit code 1 when something
    /// is stuck, 3 when it cannot look.
    Status,
    /// The relay's parked events: events that cannot be mapped to their published schema,
    /// held back with their aggregates' later events.
    Relay {
        #[command(subcommand)]
        command: RelayCommand,
    },
    /// Verify, replay and export the audit trail. Exit codes: 0 done (and every trail
    /// verified), 1 a trail or checkpoint failed verification, 2 bad arguments, 3 could not
    /// run (database, broker or key unavailable).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every trail and check every checkpoint signature; report the first broken
    /// link of each tenant.
    Verify {
        /// Where to read the trails.
        #[arg(long, value_enum, default_value = "db")]
        source: plinth_cli::Source,
        /// Which copies of the checkpoints to check against.
        #[arg(long, value_enum, default_value = "both")]
        checkpoints: plinth_cli::Checkpoints,
        /// The public key to verify with (PEM or 64 hex digits). Default: the public half of
        /// the configured signing key.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
    /// Print the public key that verifies checkpoints (PEM), from the configured signing key.
    PublicKey,
    /// Rebuild the read models (users, sessions, audit; the authz view in memory) from the
    /// event store into a fresh Postgres schema.
    Replay {
        /// Stop at this time (RFC 3339) or event-store position.
        #[arg(long, value_parser = plinth_cli::parse_until)]
        until: Option<plinth_projections_runtime::Until>,
        /// The schema to create (default: replay_<date>_<time>).
        #[arg(long, value_parser = plinth_cli::parse_schema)]
        schema: Option<String>,
    },
    /// Print what a subject could do at a moment: their effective permissions then.
    At {
        /// The moment (RFC 3339).
        #[arg(long, value_parser = plinth_cli::parse_time)]
        time: chrono::DateTime<chrono::Utc>,
        /// The user's id.
        #[arg(long)]
        subject: uuid::Uuid,
        #[arg(long, default_value = "default")]
        tenant: String,
    },
    /// Write records as JSON Lines or CSV, streaming.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Only this tenant's trail.
        #[arg(long)]
        tenant: Option<String>,
        /// Records at or after this time (RFC 3339).
        #[arg(long, value_parser = plinth_cli::parse_time)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Records at or before this time (RFC 3339).
        #[arg(long, value_parser = plinth_cli::parse_time)]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
enum ModulesCommand {
    /// Print every module with its topics, permissions, routes, job kinds and read models.
    List,
    /// Write a module skeleton into services/<name>/ (one aggregate, one event with its Avro
    /// schema, one projection, one guarded route, its manifest and tests), add it to the
    /// workspace, and print the line that registers it.
    New {
        /// The module's name: lower-case letters, digits and _.
        name: String,
        /// The workspace's root folder.
        #[arg(long, default_value = ".")]
        root: std::path::PathBuf,
    },
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
enum RelayCommand {
    /// List the parked events (as `plinth status` does).
    Parked,
    /// Publish parked events again (after a fix): one event's aggregate, or every one.
    Retry {
        /// The parked event (its id); without it, every parked event.
        #[arg(long)]
        event: Option<uuid::Uuid>,
    },
    /// Publish a `plinth.Withheld` record in a parked event's place, so that its aggregate's
    /// later events follow. The event stays in the store; consumers skip it.
    Withhold {
        /// The parked event (its id): the first parked one of its aggregate.
        #[arg(long)]
        event: uuid::Uuid,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a new signing key active; the previous one verifies until its tokens expire.
    Rotate,
}

/// Exit code of `plinth audit` when it could not run.
const CANNOT_RUN: u8 = 3;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if let Command::Modules { command } = &cli.command {
        match command {
            ModulesCommand::List => {
                print!("{}", plinth_cli::modules_report(&plinth_cli::modules()));
            }
            ModulesCommand::New { name, root } => {
                let made = plinth_cli::new_module(root, name)?;
                println!(
                    "Wrote {}, added it to the workspace and to cli/Cargo.toml.\nRegister it with this line in plinth_cli::modules() (cli/src/modules.rs):\n\n        {}\n\nThen: cargo test -p plinth-services-{name}",
                    made.folder.display(),
                    made.registration
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if matches!(cli.command, Command::Status | Command::Relay { .. }) {
        let run = async {
            let settings =
                Settings::load(&cli.config_dir, &ProcessEnv).context("loading configuration")?;
            let stack = Stack::connect(settings).context("connecting to Postgres")?;
            operate(&stack, cli.command).await
        };
        return Ok(match run.await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("Error: {e:#}");
                ExitCode::from(CANNOT_RUN)
            }
        });
    }
    if let Command::Audit { command } = cli.command {
        // Scripts rely on the exit code: anything that stops the run is 3, never 1.
        let run = async {
            let settings =
                Settings::load(&cli.config_dir, &ProcessEnv).context("loading configuration")?;
            let _telemetry =
                plinth_infra_telemetry::init(&settings.telemetry).context("starting telemetry")?;
            let stack = Stack::connect(settings).context("connecting to Postgres")?;
            audit(&stack, command).await
        };
        return Ok(match run.await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("Error: {e:#}");
                ExitCode::from(CANNOT_RUN)
            }
        });
    }
    let settings = Settings::load(&cli.config_dir, &ProcessEnv).context("loading configuration")?;
    let _telemetry =
        plinth_infra_telemetry::init(&settings.telemetry).context("starting telemetry")?;
    let shutdown = plinth_cli::shutdown_on_signal();
    let stack = Stack::connect(settings).context("connecting to Postgres")?;
    let outcome: anyhow::Result<()> = match cli.command {
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
        Command::Modules { .. }
        | Command::Audit { .. }
        | Command::Status
        | Command::Relay { .. } => {
            unreachable!("answered before")
        }
        Command::Dev => {
            stack
                .run(&plinth_cli::dev_components(&stack.settings), shutdown)
                .await
        }
        Command::Serve { component } => stack.run(&[component], shutdown).await,
        Command::SchemaRegistry => stack.run(&[Component::SchemaRegistry], shutdown).await,
    };
    outcome.map(|()| ExitCode::SUCCESS)
}

/// `plinth status` and `plinth relay …`.
async fn operate(stack: &Stack, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Status
        | Command::Relay {
            command: RelayCommand::Parked,
        } => {
            let status = stack.status().await?;
            print!("{}", status.render());
            Ok(if status.is_stuck() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Relay {
            command: RelayCommand::Retry { event },
        } => {
            let asked = stack
                .ask_relay(plinth_infra_relay::parking::ParkAction::Retry, event)
                .await?;
            println!("Asked the relay to retry {asked} parked events.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Relay {
            command: RelayCommand::Withhold { event },
        } => {
            let asked = stack
                .ask_relay(
                    plinth_infra_relay::parking::ParkAction::Withhold,
                    Some(event),
                )
                .await?;
            if asked == 0 {
                eprintln!("No parked event {event}.");
                return Ok(ExitCode::from(2));
            }
            println!(
                "Asked the relay to withhold {event} and publish its aggregate's later events."
            );
            Ok(ExitCode::SUCCESS)
        }
        _ => unreachable!("only status and relay commands come here"),
    }
}

async fn audit(stack: &Stack, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify {
            source,
            checkpoints,
            public_key,
        } => {
            let key = stack.audit_public_key(public_key.as_deref())?;
            let report = stack.verify_audit(source, checkpoints, key).await?;
            println!(
                "Read {} records of {} trails and {} valid checkpoints (key {}).",
                report.records,
                report.tenants,
                report.checkpoints,
                plinth_domain_audit::key_id(&key)
            );
            if report.is_clean() {
                println!("OK: every trail and checkpoint verifies.");
                return Ok(ExitCode::SUCCESS);
            }
            for finding in &report.findings {
                println!("BROKEN: {finding}");
            }
            Ok(ExitCode::from(1))
        }
        AuditCommand::PublicKey => {
            let key = stack.audit_public_key(None)?;
            print!("{}", plinth_services_audit::public_key_pem(&key));
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Replay { until, schema } => {
            stack.migrate().await?;
            let schema = schema.unwrap_or_else(plinth_cli::replay_schema_name);
            let summary = stack.replay(&schema, until, false).await?;
            let seconds = summary.elapsed.as_secs_f64().max(1e-9);
            println!(
                "Replayed {} of {} stored events into schema {schema} ({} statements) in {:.2} s, {:.0} events/s; the authz view holds {} bindings.",
                summary.applied,
                summary.read,
                summary.statements,
                seconds,
                summary.applied as f64 / seconds,
                summary.bindings
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::At {
            time,
            subject,
            tenant,
        } => {
            let held = stack.permissions_at(&tenant, subject, time).await?;
            println!(
                "Effective permissions of {subject} in tenant {tenant} at {}:",
                time.to_rfc3339()
            );
            if held.is_empty() {
                println!("(none)");
            }
            for (permission, bindings, conditional) in held {
                let bindings: Vec<String> = bindings.iter().map(ToString::to_string).collect();
                println!(
                    "{permission}{}\tthrough {}",
                    if conditional {
                        " (scoped or owner-only)"
                    } else {
                        ""
                    },
                    bindings.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export {
            format,
            tenant,
            since,
            until,
            output,
        } => {
            let filter = plinth_services_audit::store::RecordFilter {
                tenant,
                since,
                until,
            };
            let format = match format {
                ExportFormat::Jsonl => plinth_services_audit::export::Format::Jsonl,
                ExportFormat::Csv => plinth_services_audit::export::Format::Csv,
            };
            let written = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    stack
                        .export_audit(&filter, format, std::io::BufWriter::new(file))
                        .await?
                }
                None => {
                    stack
                        .export_audit(
                            &filter,
                            format,
                            std::io::BufWriter::new(std::io::stdout().lock()),
                        )
                        .await?
                }
            };
            eprintln!("Exported {written} records.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
