import { z } from 'zod';
import { id } from './common';

export const titleJob = z.object({ userId: id, conversationId: id });
