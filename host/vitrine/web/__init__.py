"""The daemon's HTTP side: status API and page (later: player, associate app, dashboard)."""
