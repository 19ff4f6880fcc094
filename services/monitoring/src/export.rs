//! Exports of the tracking report (being written).

use lacak_proto::monitoring::TrackingReport;

pub fn report_csv(_report: &TrackingReport) -> Vec<u8> {
    Vec::new()
}

pub fn report_xlsx(_report: &TrackingReport, _team: &str) -> Result<Vec<u8>, String> {
    Ok(Vec::new())
}
