package backoffice

// Placeholder for the directory screens being written; it goes away when they land.

func (s *Server) directoryRoutes() []route { return nil }
