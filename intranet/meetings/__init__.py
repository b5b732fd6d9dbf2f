"""The meeting calendar: meetings, series, agendas, answers, attendance, calendar feeds."""
