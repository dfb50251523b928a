package backoffice

// Placeholder for the tokens screens being written; it goes away when they land.

func (s *Server) tokenRoutes() []route { return nil }
