//! The alerts page's words: Chinese by default, English on request.

pub struct AlertWords {
    /// Alerts carry their text in both languages; this picks which one is shown.
    pub english: bool,
    pub title: &'static str,
    pub status: &'static str,
    pub open: &'static str,
    pub acknowledged: &'static str,
    pub kind: &'static str,
    pub when: &'static str,
    pub what: &'static str,
    pub recipients: &'static str,
    pub deliveries: &'static str,
    pub acknowledge: &'static str,
    pub none: &'static str,
    pub older: &'static str,
    pub newest: &'static str,
    pub open_count: &'static str,
    pub attempts: &'static str,
    kinds: [&'static str; 4],
    statuses: [&'static str; 5],
    pub webhook: &'static str,
    pub sms: &'static str,
}

impl AlertWords {
    /// The label of an alert kind key (`abnormal`, ...).
    pub fn kind_label(&self, key: &str) -> &'static str {
        match key {
            "abnormal" => self.kinds[0],
            "excursion" => self.kinds[1],
            "near_expiry" => self.kinds[2],
            "diversion" => self.kinds[3],
            _ => "?",
        }
    }

    /// The label of a notification status key (`pending`, ...).
    pub fn status_label(&self, key: &str) -> &'static str {
        match key {
            "pending" => self.statuses[0],
            "delivered" => self.statuses[1],
            "failed" => self.statuses[2],
            "rate_limited" => self.statuses[3],
            "not_configured" => self.statuses[4],
            _ => "?",
        }
    }
}

pub const ZH: AlertWords = AlertWords {
    english: false,
    title: "告警",
    status: "状态",
    open: "待处理",
    acknowledged: "已确认",
    kind: "类型",
    when: "时间",
    what: "内容",
    recipients: "通知对象",
    deliveries: "发送情况",
    acknowledge: "确认",
    none: "没有告警。",
    older: "更早 →",
    newest: "← 最新",
    open_count: "待处理告警",
    attempts: "次",
    kinds: ["异常上报", "温度超限", "临期", "窜货"],
    statuses: ["发送中", "已送达", "发送失败", "超出频率限制，未发送", "未配置"],
    webhook: "Webhook",
    sms: "短信",
};

pub const EN: AlertWords = AlertWords {
    english: true,
    title: "Alerts",
    status: "Status",
    open: "Open",
    acknowledged: "Acknowledged",
    kind: "Kind",
    when: "When",
    what: "What",
    recipients: "Notified",
    deliveries: "Delivery",
    acknowledge: "Acknowledge",
    none: "No alerts.",
    older: "Older →",
    newest: "← Newest",
    open_count: "open alerts",
    attempts: "attempts",
    kinds: ["Abnormal report", "Temperature excursion", "Near expiry", "Diversion"],
    statuses: ["sending", "delivered", "failed", "rate-limited, not sent", "not configured"],
    webhook: "Webhook",
    sms: "SMS",
};

pub fn for_lang(lang: &str) -> &'static AlertWords {
    if lang.starts_with("en") {
        &EN
    } else {
        &ZH
    }
}
