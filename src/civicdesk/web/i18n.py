"""Interface language: Simplified Chinese by default, English available (?lang=en, or cookie)."""

from __future__ import annotations

from civicdesk.core.workflow import LABELS, STATUS_LABELS, CaseAction, CaseStatus

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("城管信访投诉平台", "civicdesk complaints platform"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误", "Wrong username or password"),
    "session_expired": ("登录已过期，请重新登录", "Your session expired; please log in again"),
    "intake": ("受理登记", "New complaint"),
    "cases": ("案件列表", "Cases"),
    "inbox": ("本单位待办", "Unit inbox"),
    "reports": ("统计报表", "Reports"),
    "dashboard": ("综合看板", "Dashboard"),
    "hotspots": ("热点问题", "Hot spots"),
    "supervision": ("督办台", "Supervision"),
    "case": ("案件", "Case"),
    "status": ("状态", "Status"),
    "category": ("类别", "Category"),
    "area": ("区域", "Area"),
    "unit": ("承办单位", "Unit"),
    "channel": ("渠道", "Channel"),
    "overdue": ("超期", "Overdue"),
    "due_at": ("期限", "Due"),
    "opened_at": ("受理时间", "Received"),
    "title": ("标题", "Title"),
    "text": ("投诉内容", "Complaint"),
    "address": ("地址", "Address"),
    "complainant_name": ("投诉人", "Complainant"),
    "complainant_phone": ("联系电话", "Phone"),
    "upstream_ref": ("来源工单号", "Upstream ref"),
    "received_at": ("来电时间", "Received at"),
    "submit": ("提交", "Submit"),
    "filter": ("筛选", "Filter"),
    "all": ("全部", "All"),
    "history": ("办理过程", "History"),
    "actions": ("可执行操作", "Actions"),
    "no_actions": ("当前无可执行操作", "No action available"),
    "note": ("说明/原因", "Note / reason"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "error": ("出错了", "Something went wrong"),
    "not_found": ("页面不存在", "Not found"),
    "forbidden": ("无权访问", "Forbidden"),
    "complaints": ("投诉记录", "Complaints"),
    "reply_text": ("处置结果", "Result"),
    "satisfaction": ("满意度", "Satisfaction"),
    "solved": ("问题是否解决", "Solved"),
    "days": ("延期工作日数", "Working days"),
    "review_on": ("复查日期", "Review date"),
    "case_number": ("并入案件编号", "Attach to case"),
    "saved": ("已保存", "Saved"),
    "total": ("共", "Total"),
    "language": ("English", "中文"),
    "portal_inbox": ("网上投诉受理队列", "Citizen submissions queue"),
    "inbox_backlog": ("待受理积压", "Backlog"),
    "inbox_pending": ("待受理", "Pending"),
    "inbox_done": ("已受理", "Recorded"),
    "inbox_failed": ("受理失败", "Failed"),
    "inbox_error": ("失败原因", "Reason"),
    "inbox_retry": ("重新受理", "Retry intake"),
    "inbox_manual": ("转人工录入", "Enter by hand"),
    "inbox_mark_entered": ("标记为已人工录入", "Mark as entered by hand"),
    "ack_number": ("受理编号", "Acknowledgement no."),
    "source": ("来源", "Source"),
    "today": ("今日", "Today"),
    "last_7_days": ("近7日", "Last 7 days"),
}


def translate(key: str, lang: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def status_label(status: str, lang: str) -> str:
    label = STATUS_LABELS.get(CaseStatus(status))
    if label is None:
        return status
    return label.en if lang == "en" else label.zh


def action_label(action: str, lang: str) -> str:
    try:
        label = LABELS[CaseAction(action)]
    except ValueError:
        return action
    return label.en if lang == "en" else label.zh


SATISFACTION_LABELS = {
    "satisfied": ("满意", "Satisfied"),
    "basically": ("基本满意", "Basically satisfied"),
    "unsatisfied": ("不满意", "Unsatisfied"),
}


def satisfaction_label(value: str | None, lang: str) -> str:
    if not value:
        return ""
    pair = SATISFACTION_LABELS.get(value, (value, value))
    return pair[1] if lang == "en" else pair[0]
