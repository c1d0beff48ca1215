//! The live monitoring page's data.

mod get_data_quality;
mod job_status;

pub use get_data_quality::{get_data_quality, GetDataQuality};
pub use job_status::{job_status, JobStatus};
