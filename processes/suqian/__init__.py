"""宿迁市: 市级信息化项目管理办法 (宿政办发〔2024〕45号; process keys `suqian`, `suqian.change_request`)."""
