"""淮安市: 政务信息化项目统筹集约建设机制 (process keys `huaian`, `huaian.annual_funding`)."""
