"""What a new workbook holds: starter.json (tabs, headers, widths, drop-downs, settings)
and sample.json (the made-up people and products of `crmsheets init --sample`)."""
