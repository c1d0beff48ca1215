//! Server function replies made searchable for the isolation matrix.

use crate::support::Reply;

/// A server function's reply as text: decoded from the binary wire format into its type and
/// printed, so that B's names and numbers can be searched for; errors as `AppError`.
pub fn server_fn_text(path: &str, reply: &Reply) -> String {
    use app::server_fns::{admin, anomalies, auth, dashboard, diagnostics, monitoring};
    use app::server_fns::{network, series};
    use server_fn::ServerFn;
    macro_rules! decode {
        ($($function:ty),* $(,)?) => {$(
            if path == <$function as ServerFn>::PATH {
                return if reply.status.is_success() {
                    format!("{:?}", reply.wire::<<$function as ServerFn>::Output>())
                } else {
                    format!("{:?}", reply.wire::<shared::AppError>())
                };
            }
        )*};
    }
    decode!(
        admin::ListMembers,
        admin::SetMemberRole,
        admin::RemoveMember,
        admin::CreateInvitation,
        admin::ListApiKeys,
        admin::CreateApiKey,
        admin::RevokeApiKey,
        admin::ListJobs,
        admin::RunJob,
        admin::ReadAuditLog,
        anomalies::ListIncidents,
        anomalies::GetIncident,
        anomalies::ActOnIncident,
        auth::CurrentUser,
        auth::JoinTenant,
        auth::ListTenants,
        auth::SwitchTenant,
        auth::LeaveTenant,
        dashboard::GetSummary,
        dashboard::ListDistricts,
        dashboard::GetPeriod,
        dashboard::GetOverview,
        diagnostics::GetDiagnostics,
        monitoring::GetDataQuality,
        monitoring::JobStatus,
        network::GetEfficiency,
        series::GetSeries,
        series::GetNodeChart,
        series::GetForecast,
        series::GetDistrictForecast,
        series::GetDistrictChart,
    );
    panic!("no decoder for server function {path}: add it to server_fn_text")
}
