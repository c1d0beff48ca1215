use leptos::prelude::*;
use shared::auth::AuditEntry;
use shared::AppError;

/// The current tenant's latest audit entries (admin).
#[server(output = crate::resource::Wire)]
pub async fn read_audit_log() -> Result<Vec<AuditEntry>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.auth.audit_log(&caller, 50).await
        }
        .await,
    )
}
