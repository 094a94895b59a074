//! The registration list ([`modules`]: one line per module) and what is read off it without a
//! running stack: the kernel's own migrations and `plinth modules list`.

use std::sync::Arc;

use plinth_infra_module::{Migrations, Module};

/// The modules this build registers, one line each: the router, the catalog the relay and
/// the audit recorder publish and record from, the migrations, the projectors and `plinth
/// modules list` are all assembled from this list.
pub fn modules() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(plinth_services_identity::IdentityModule),
        Arc::new(plinth_services_authz::AuthzModule),
        Arc::new(plinth_services_audit::AuditModule),
        Arc::new(plinth_services_scheduler::SchedulerModule),
        Arc::new(plinth_services_notifications::NotificationsModule),
        Arc::new(plinth_services_blog::BlogModule),
    ]
}

/// The kernel's own tables, applied before any module's: the event store, the relay, the
/// schema registry and the projection runtime's bookkeeping.
pub const KERNEL_MIGRATIONS: [Migrations; 4] = [
    plinth_infra_event_store::MIGRATIONS,
    plinth_infra_relay::MIGRATIONS,
    plinth_infra_schema_registry::MIGRATIONS,
    plinth_projections_runtime::MIGRATIONS,
];

/// `plinth modules list`: the gateway's own routes, then every registered module with its
/// permissions, routes and job kinds (as its manifest declares them), its topics, read models
/// and tables.
pub fn modules_report(modules: &[Arc<dyn Module>]) -> String {
    use plinth_domain_permissions::{Access, Manifest};
    use std::fmt::Write;
    fn routes(out: &mut String, manifest: &Manifest) {
        for r in manifest.routes {
            let access = match r.access {
                Access::Public => "public".to_owned(),
                Access::Authenticated => "authenticated".to_owned(),
                Access::Permission(p) => match r.owner_param {
                    Some(owner) => format!("{p} (or the user named by {{{owner}}})"),
                    None => p.to_string(),
                },
            };
            let on = r.resource.map_or_else(String::new, |res| {
                format!(" on {} {{{}}}", res.resource_type, res.param)
            });
            let _ = writeln!(out, "  route {:<6} {:<36} {access}{on}", r.method, r.path);
        }
    }
    let mut out = String::new();
    let gateway = &plinth_gateway::MANIFEST;
    let _ = writeln!(
        out,
        "{} {} (the kernel's edge)",
        gateway.name, gateway.version
    );
    routes(&mut out, gateway);
    for module in modules {
        let manifest = module.manifest();
        let _ = writeln!(out, "{} {}", manifest.name, manifest.version);
        if let Some(events) = module.events() {
            let _ = writeln!(out, "  topics: {}", events.aggregate_types().join(", "));
        }
        for p in manifest.permissions {
            let sensitive = if p.permission.is_sensitive() {
                " (sensitive)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  permission {}{sensitive}: {}",
                p.permission, p.description
            );
        }
        routes(&mut out, manifest);
        for j in manifest.jobs {
            let _ = writeln!(out, "  job {}: {}", j.kind, j.description);
        }
        for p in module.projections() {
            let _ = writeln!(
                out,
                "  projection {} (from {})",
                p.name(),
                p.aggregate_types().join(", ")
            );
        }
        let tables: Vec<&str> = module.migrations().iter().map(|m| m.component).collect();
        if !tables.is_empty() {
            let _ = writeln!(out, "  migrations: {}", tables.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_infra_module::{Manifest, Migration, Migrations, Module};

    /// A module whose table claims a migration component of the kernel's users view.
    struct Squatter;

    static SQUATTER: Manifest = Manifest {
        name: "squatter",
        version: "1",
        permissions: &[],
        routes: &[],
        jobs: &[],
    };

    impl Module for Squatter {
        fn manifest(&self) -> &'static Manifest {
            &SQUATTER
        }
        fn migrations(&self) -> Vec<Migrations> {
            vec![Migrations {
                component: "projection_users",
                steps: &[Migration {
                    version: 1,
                    name: "mine",
                    sql: "SELECT 1",
                }],
            }]
        }
    }

    #[test]
    fn a_module_cannot_take_another_modules_migration_component() {
        let mut settings = plinth_infra_config::Settings::default();
        settings.database.url = Some(plinth_infra_config::Secret::new(
            "postgres://nobody@127.0.0.1:1/none".into(),
        ));
        let mut modules = super::modules();
        modules.push(Arc::new(Squatter));
        let Err(error) = crate::Stack::with_modules(settings, modules) else {
            panic!("a clash was accepted");
        };
        assert!(
            error
                .to_string()
                .contains("migration component projection_users of module squatter is taken"),
            "{error}"
        );
    }

    #[test]
    fn the_modules_report_lists_every_route_and_permission() {
        let modules = super::modules();
        let report = super::modules_report(&modules);
        for module in &modules {
            for route in module.manifest().routes {
                assert!(report.contains(route.path), "{}", route.path);
            }
        }
        assert!(report.contains("  route GET    /healthz"), "{report}");
        assert!(
            report.contains("permission identity.user.disable (sensitive)"),
            "{report}"
        );
        assert!(
            report.contains("identity.user.read (or the user named by {id})"),
            "{report}"
        );
        assert!(
            report.contains("  projection users_v1 (from identity.user)"),
            "{report}"
        );
        assert!(
            report.contains("  topics: audit.checkpoint, audit.trail"),
            "{report}"
        );
        assert!(
            report.contains("  job blog.publish: Publishes a post at the time"),
            "{report}"
        );
    }
}
