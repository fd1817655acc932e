use super::*;
use chrono::Duration;

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("offset")
}

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("test time")
}

#[test]
fn an_english_comma_separated_export_reads_every_line() {
    let csv = "Timestamp,Temperature(°C),Humidity(%RH)\n\
               2026-11-23T08:00:00+08:00,4.5,91.2\n\
               2026-11-23 08:05:00,4.6,91\n\
               2026-11-23T00:10:00Z,4.7°C,90.5%\n";
    let log = parse_logger_csv(csv, china()).expect("parses");
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert_eq!(log.unit, TemperatureUnit::Celsius);
    let times: Vec<_> = log.readings.iter().map(|r| r.at).collect();
    let start = at("2026-11-23T08:00:00+08:00");
    assert_eq!(times, vec![start, start + Duration::minutes(5), start + Duration::minutes(10)]);
    assert_eq!(log.readings[2].temperature_c, Some(4.7));
    assert_eq!(log.readings[2].humidity_percent, Some(90.5));
}

#[test]
fn a_chinese_semicolon_export_with_preamble_and_decimal_commas() {
    let csv = "\u{FEFF}设备名称;冷链记录仪 TH-02\n序列号;TH02-88121\n\n\
               序号;时间;温度(℃);湿度(%RH)\n\
               1;2026/11/23 8:00:00;4,5;91,0\n\
               2;2026年11月23日 08:05;4,6;\n";
    let log = parse_logger_csv(csv, china()).expect("parses");
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert_eq!(log.readings.len(), 2);
    assert_eq!(log.readings[0].at, at("2026-11-23T08:00:00+08:00"));
    assert_eq!((log.readings[0].temperature_c, log.readings[0].humidity_percent), (Some(4.5), Some(91.0)));
    // A temperature-only line is a reading without humidity.
    assert_eq!((log.readings[1].temperature_c, log.readings[1].humidity_percent), (Some(4.6), None));
}

#[test]
fn separate_date_and_time_columns_tabs_quotes_and_fahrenheit() {
    let csv = "\"Date\"\t\"Time\"\t\"Temp (F)\"\t\"RH\"\n\
               \"2026-11-23\"\t\"08:00:00\"\t\"41.0\"\t\"88\"\n\
               2026-11-23\t08:05:00\t50\t88\n";
    let log = parse_logger_csv(csv, china()).expect("parses");
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert_eq!(log.unit, TemperatureUnit::Fahrenheit);
    assert_eq!(log.readings[0].temperature_c, Some(5.0));
    assert_eq!(log.readings[1].temperature_c, Some(10.0));
    assert_eq!(log.readings[1].at, at("2026-11-23T08:05:00+08:00"));
}

#[test]
fn every_bad_line_is_named_and_the_good_lines_still_count() {
    let csv = "time,temperature,humidity\n\
               2026-11-23 08:00,4.5,90\n\
               23/11/2026 08:05,4.5,90\n\
               2026-11-23 08:10,warm,90\n\
               2026-11-23 08:15,4.5,130\n\
               2026-11-23 08:20,,\n\
               2026-11-23 08:25,4.4,89\n\
               2026-11-23 08:25,9.9,89\n\
               2026-11-23 08:30:00+25:00,4.4,89\n";
    let log = parse_logger_csv(csv, china()).expect("parses");
    let named: Vec<(u64, &str)> = log.errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(named, vec![(3, "time"), (4, "temperature"), (5, "humidity"), (6, "line"), (9, "time")]);
    assert!(log.errors[0].reason.contains("year first"), "{}", log.errors[0]);
    assert!(log.errors[1].reason.contains("\"warm\""), "{}", log.errors[1]);
    assert!(log.errors[2].to_string().starts_with("line 5, humidity: 130.0"), "{}", log.errors[2]);
    // Two good lines; the repeat of 08:25 keeps the first value.
    assert_eq!(log.readings.len(), 2);
    assert_eq!(log.duplicates, 1);
    assert_eq!(log.readings[1].temperature_c, Some(4.4));
}

#[test]
fn timestamps_with_and_without_offsets() {
    let expect = at("2026-11-23T08:05:00+08:00");
    for text in [
        "2026-11-23 08:05",
        "2026-11-23 08:05:00",
        "2026/11/23 8:05",
        "2026.11.23 08:05:00",
        "2026年11月23日 08:05:00",
        "2026-11-23T08:05:00",
        "2026-11-23T08:05:00+08:00",
        "2026-11-23 08:05:00 +0800",
        "2026-11-23 08:05:00 UTC+8",
        "2026-11-23 00:05:00Z",
        "2026-11-23 00:05:00 UTC",
        "2026-11-22 19:05:00-05:00",
        "1795392300",
        "1795392300000",
    ] {
        assert_eq!(parse_timestamp(text, china()), Ok(expect), "{text}");
    }
    let with_fraction = parse_timestamp("2026-11-23 08:05:00.500", china()).expect("fraction");
    assert_eq!(with_fraction - expect, Duration::milliseconds(500));
    for bad in ["", "yesterday", "23.11.2026 08:05", "2026-13-01 08:00", "2026-11-23 08:05 +8:xx"] {
        assert!(parse_timestamp(bad, china()).is_err(), "{bad}");
    }
}

#[test]
fn a_file_without_a_header_or_with_a_doubled_column_is_refused() {
    let err = parse_logger_csv("4.5,91\n4.6,92\n", china()).expect_err("no header");
    assert_eq!(err.key(), "sensor_log_no_header");
    let err = parse_logger_csv("time,temp,temperature\n", china()).expect_err("two temperature columns");
    assert_eq!(err.key(), "sensor_log_bad_header");
    assert!(err.to_string().contains("line 1"), "{err}");
}
