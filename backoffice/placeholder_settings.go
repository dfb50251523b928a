package backoffice

// Placeholder for the settings screens being written; it goes away when they land.

func (s *Server) settingsRoutes() []route { return nil }
