"""合肥市瑶海区: units, citations and outcomes of the "四域四化" 意见 (2023-11-21)."""
