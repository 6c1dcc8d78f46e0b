"""九江市: units, citations, outcomes and declaration rules of the 数字化项目建设管理办法(试行)."""
