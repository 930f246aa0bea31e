"""Personal data on request: erasing a customer (`erasure`) and giving them their data (`export`)."""
