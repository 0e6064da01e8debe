"""SLA: business time on the city's calendar (``business_time``), each problem's clocks
(``clocks``) and the sweep that records breaches (``breaches``)."""
